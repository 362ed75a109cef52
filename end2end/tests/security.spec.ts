import { test, expect, Page } from './fixtures';
import { adminWithAccount, channelWithOperator, connectNewChannel, createAccount, customerOnChat, hydrated, newContext, register, signIn, uniq, watchConsole } from './helpers';

// The XSS corpus: each would run script or add markup if any page wrote it raw. Pages
// must show and save back exactly these bytes.
const LONG = `</textarea><img src=x onerror="window.__xss=1"><script>window.__xss=2</script></title><svg onload=window.__xss=3> a &amp; b &lt;c&gt; "q" 'a' zażółć`;
const NAME = `</title><img src=x onerror=alert(1)>`;

/** Fails the test on any dialog; returns a check that no payload ran or became markup. */
function guard(page: Page) {
  const dialogs: string[] = [];
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  return async (where: string) => {
    expect(dialogs, `dialog on ${where}`).toEqual([]);
    expect(await page.evaluate(() => (window as any).__xss), `script ran on ${where}`).toBeUndefined();
    await expect(page.locator('img[src="x"], svg[onload]'), `markup injected on ${where}`).toHaveCount(0);
  };
}

test('hostile text in names, settings, messages and echoed parameters stays text and round-trips byte for byte', async ({ browser }) => {
  const id = uniq();
  const adminCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  const adminErrors = watchConsole(admin);
  const checkAdmin = guard(admin);

  // A refilled form after an error: the registration form keeps the typed name.
  await admin.goto('/register');
  await admin.getByLabel('Email', { exact: true }).fill(`admin-${id}@example.com`);
  await admin.getByLabel('Name', { exact: true }).fill(NAME);
  await admin.getByLabel('Password', { exact: true }).fill('short');
  await admin.getByRole('button', { name: 'Register' }).click();
  await expect(admin.getByText('The password must have at least 8 characters.')).toBeVisible();
  await expect(admin.getByLabel('Name', { exact: true })).toHaveValue(NAME);
  await checkAdmin('the refilled registration form');

  await adminWithAccount(admin, id);
  await connectNewChannel(admin, `Help ${id}`);
  await hydrated(admin);
  await admin.getByLabel('Short description').fill(LONG.slice(0, 255));
  await admin.getByLabel('Welcome message').fill(LONG);
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Settings saved.')).toBeVisible();
  await admin.reload();
  await hydrated(admin);
  await expect(admin.getByLabel('Welcome message')).toHaveValue(LONG);
  await expect(admin.getByLabel('Short description')).toHaveValue(LONG.slice(0, 255));
  await checkAdmin('the channel settings');
  // Saving again changes nothing: no entity is decoded on the way.
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Settings saved.')).toBeVisible();
  await admin.reload();
  await expect(admin.getByLabel('Welcome message')).toHaveValue(LONG);
  await checkAdmin('the channel settings saved twice');
  await admin.screenshot({ path: 'test-results/screens/settings-hostile-text.png', fullPage: true });
  const link = (await admin.getByLabel('Link').inputValue()).replace(/^https?:\/\/[^/]+/, '');

  // A customer with a hostile display name writes hostile text.
  const custCtx = await newContext(browser);
  const cust = await custCtx.newPage();
  const custErrors = watchConsole(cust);
  const checkCust = guard(cust);
  await register(cust, `cleo-${id}@example.com`, `Cleo ${NAME}`);
  await createAccount(cust, `Borealis ${id}`, `borealis-${id}`);
  await cust.goto(link);
  await expect(cust.getByText(LONG.slice(0, 255))).toBeVisible();
  await checkCust('the link card');
  await cust.getByRole('link', { name: `Write from Borealis ${id}` }).click();
  await hydrated(cust);
  await cust.getByLabel('Message', { exact: true }).fill(LONG);
  await cust.getByLabel('Message', { exact: true }).press('Enter');
  await expect(cust.locator('.msg-body', { hasText: 'zażółć' }).last()).toHaveText(LONG);
  await checkCust('the chat');
  await cust.reload();
  await hydrated(cust);
  await expect(cust.locator('.msg-body').filter({ hasText: 'window.__xss=2' })).toHaveCount(2);
  await checkCust('the chat after a reload');

  // A refused send (too long) comes back with its text in the composer — kept by the
  // server, never in the address; a `?body=` in the address fills nothing.
  const chatPath = new URL(cust.url()).pathname;
  const origin = new URL(cust.url()).origin;
  const refused = LONG + 'x'.repeat(4000);
  const res = await custCtx.request.post(`${chatPath}/send`, {
    form: { current: 'new', client_id: `refused-${id}`, body: refused },
    headers: { Origin: origin },
    maxRedirects: 0,
  });
  expect(res.status()).toBe(303);
  const back = res.headers()['location'];
  expect(back).toContain('error=too_long');
  expect(back).not.toContain('body=');
  await cust.goto(back);
  await expect(cust.getByLabel('Message', { exact: true })).toHaveValue(refused);
  await checkCust('the refilled composer');
  await hydrated(cust);
  await expect(cust.getByLabel('Message', { exact: true })).toHaveValue(refused);
  await checkCust('the refilled composer after hydration');
  // An address saying otherwise changes nothing: the composer holds what the server kept.
  await cust.goto(`${chatPath}?error=too_long&field=body&body=planted`);
  await hydrated(cust);
  await expect(cust.getByLabel('Message', { exact: true })).toHaveValue(refused);

  // The admin's inbox shows the customer's name and message as text.
  await admin.goto(`/a/acme-${id}/inbox`);
  await hydrated(admin);
  await expect(admin.getByText(`Cleo ${NAME}`).first()).toBeVisible();
  await admin.getByText(`Cleo ${NAME}`).first().click();
  await expect(admin.locator('.msg-body', { hasText: 'zażółć' }).first()).toHaveText(LONG);
  await checkAdmin('the inbox');

  expect(adminErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
  expect(custErrors.filter((e) => !e.includes('favicon'))).toEqual([]);
  await adminCtx.close();
  await custCtx.close();
});

test('"Sign out everywhere" ends the sessions of every device', async ({ browser }) => {
  const id = uniq();
  const phone = await (await newContext(browser, { viewport: { width: 390, height: 844 } })).newPage();
  const laptop = await (await newContext(browser)).newPage();
  await register(phone, `eve-${id}@example.com`, `Eve ${id}`);
  await signIn(laptop, `eve-${id}@example.com`);
  await laptop.goto('/profile');
  await expect(laptop.getByRole('heading', { name: 'Profile' })).toBeVisible();

  await phone.goto('/profile');
  await phone.getByRole('button', { name: 'Sign out everywhere' }).scrollIntoViewIfNeeded();
  await phone.screenshot({ path: 'test-results/screens/profile-sign-out-everywhere-phone.png', fullPage: true });
  await laptop.screenshot({ path: 'test-results/screens/profile-desktop.png', fullPage: true });
  await phone.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(phone.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await laptop.reload();
  await expect(laptop.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await laptop.goto('/profile');
  await expect(laptop.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('a chat open while its session is signed out elsewhere goes to the sign-in page and comes back', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, path } = await channelWithOperator(browser, id);
  const { ctx, page: chat } = await customerOnChat(browser, id, path);
  const chatUrl = chat.url();
  // The same person signs out everywhere from another tab: the open chat's socket is
  // closed by the server, and the page asks to sign in again instead of retrying.
  const profile = await ctx.newPage();
  await profile.goto('/profile');
  await profile.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(profile.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(chat.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 10_000 });
  expect(new URL(chat.url()).searchParams.get('next')).toBe(new URL(chatUrl).pathname + new URL(chatUrl).search);
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});
