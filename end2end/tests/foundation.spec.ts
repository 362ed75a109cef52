import { test, expect } from './fixtures';
import { createAccount, hydrated, newContext, PASSWORD, register, signIn, uniq, watchConsole } from './helpers';

test('a new user registers, creates an account and sees it on My accounts', async ({ page }) => {
  const errors = watchConsole(page);
  const id = uniq();
  await register(page, `ada-${id}@example.com`, 'Ada Lovelace');
  await expect(page).toHaveURL(/\/network$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'My accounts' })).toBeVisible();
  await expect(page.getByText('You do not work in any account yet.')).toBeVisible();
  await expect(page.getByText('Signed in as')).toContainText('Ada Lovelace');

  await createAccount(page, `Analytical Engines ${id}`, `engines-${id}`);
  await expect(page).toHaveURL(new RegExp(`/a/engines-${id}`));
  await expect(page.getByRole('status')).toHaveText('Account created. You are its admin.');
  await expect(page.getByRole('heading', { name: `Analytical Engines ${id}` })).toBeVisible();

  await page.getByRole('link', { name: 'My accounts' }).click();
  const row = page.getByRole('row', { name: new RegExp(`Analytical Engines ${id}`) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell', { name: 'Admin' })).toBeVisible();
  await row.getByRole('link', { name: `Analytical Engines ${id}` }).click();
  await expect(page).toHaveURL(new RegExp(`/a/engines-${id}$`));
  await page.screenshot({ path: 'test-results/screens/account-home.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('an admin adds a second user as operator, who then sees the account', async ({ browser }) => {
  const id = uniq();
  const adminCtx = await newContext(browser);
  const opCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  const op = await opCtx.newPage();
  const errors = [...watchConsole(admin)];

  await register(op, `olek-${id}@example.com`, 'Olek Operator');
  await expect(op.getByText('You do not work in any account yet.')).toBeVisible();

  await register(admin, `anna-${id}@example.com`, 'Anna Admin');
  await createAccount(admin, `Acme ${id}`, `acme-${id}`);
  await hydrated(admin);
  await admin.getByLabel('Email of the member').fill(`OLEK-${id}@example.com`);
  await admin.getByLabel('Role', { exact: true }).selectOption('operator');
  await admin.getByRole('button', { name: 'Invite' }).click();
  await expect(admin.getByRole('status')).toContainText('Invitation made.');
  // Not a member until Olek accepts: the invitation waits.
  await expect(admin.getByRole('row', { name: /Olek Operator/ })).toHaveCount(0);
  await expect(admin.getByRole('heading', { name: 'Invitations waiting' })).toBeVisible();
  await expect(admin.getByText(`olek-${id}@example.com`)).toBeVisible();

  // Olek sees the invitation on his Network page and accepts it.
  await op.reload();
  const invitation = op.getByRole('group', { name: `Acme ${id} invites you to join as` });
  await expect(op.getByRole('heading', { name: 'Invitations' })).toBeVisible();
  await op.screenshot({ path: 'test-results/screens/invitation.png', fullPage: true });
  await invitation.getByRole('button', { name: 'Accept' }).click();
  await expect(op.getByRole('status')).toHaveText('You joined the account.');
  await admin.reload();
  const row = admin.getByRole('row', { name: /Olek Operator/ });
  await expect(row.getByLabel('Role of Olek Operator')).toHaveValue('operator');
  await expect(admin.getByRole('heading', { name: 'Invitations waiting' })).toHaveCount(0);

  await op.goto('/network');
  const opRow = op.getByRole('row', { name: new RegExp(`Acme ${id}`) });
  await expect(opRow.getByRole('cell', { name: 'Operator' })).toBeVisible();
  await opRow.getByRole('link', { name: `Acme ${id}` }).click();
  // An operator sees the members but cannot manage them.
  await expect(op.getByRole('heading', { name: 'Members' })).toBeVisible();
  await expect(op.getByRole('button', { name: 'Invite' })).toHaveCount(0);

  // Inviting an email nobody uses yet answers the same (nothing is revealed); the
  // invitation waits, and the admin can withdraw it.
  await admin.getByLabel('Email of the member').fill(`nobody-${id}@example.com`);
  await admin.getByRole('button', { name: 'Invite' }).click();
  await expect(admin.getByRole('status')).toContainText('Invitation made.');
  await admin.getByRole('button', { name: `Withdraw the invitation of nobody-${id}@example.com` }).click();
  await expect(admin.getByRole('status')).toHaveText('Invitation withdrawn.');
  // A malformed email is named at its field.
  await admin.getByLabel('Email of the member').fill('not an email');
  await admin.getByRole('button', { name: 'Invite' }).click();
  await expect(admin.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await expect(admin.getByLabel('Email of the member')).toHaveAttribute('aria-invalid', 'true');
  expect(errors).toEqual([]);
  await adminCtx.close();
  await opCtx.close();
});

test('a wrong password shows a clear error and keeps the email', async ({ page }) => {
  const id = uniq();
  await register(page, `wrong-${id}@example.com`, 'Wanda');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, `wrong-${id}@example.com`, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(`wrong-${id}@example.com`);
  await expect(page.getByRole('link', { name: 'My accounts' })).toHaveCount(0);
});

test('sign-in works with JavaScript disabled and returns to where the user came from', async ({ browser }) => {
  const id = uniq();
  const setup = await newContext(browser);
  const p = await setup.newPage();
  await register(p, `nojs-${id}@example.com`, 'Noah NoJS');
  await createAccount(p, `Static ${id}`, `static-${id}`);
  await setup.close();

  const ctx = await newContext(browser, { javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(`/a/static-${id}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByText('Sign in to continue.')).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(`nojs-${id}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/a/static-${id}$`));
  await expect(page.getByRole('heading', { name: `Static ${id}` })).toBeVisible();
  await page.getByRole('link', { name: 'My accounts' }).click();
  await expect(page.getByRole('link', { name: `Static ${id}` })).toBeVisible();
  await ctx.close();
});

test('bad input is explained next to the field and nothing is created', async ({ page }) => {
  const id = uniq();
  await page.goto('/register');
  await page.getByLabel('Email', { exact: true }).fill(`short-${id}@example.com`);
  await page.getByLabel('Name', { exact: true }).fill('Shorty');
  await page.getByLabel('Password', { exact: true }).fill('1234567');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByText('The password must have at least 8 characters.')).toBeVisible();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Shorty');
  // Nothing was created: signing in with that email fails.
  await signIn(page, `short-${id}@example.com`, '1234567');
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

  await register(page, `dup-${id}@example.com`, 'First');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await register(page, `DUP-${id}@example.com`, 'Second');
  await expect(page.getByText('An identity with this email already exists.')).toBeVisible();

  await signIn(page, `dup-${id}@example.com`);
  await page.getByRole('link', { name: 'New account' }).click();
  await page.getByLabel('Account name').fill('Bad Slug Inc');
  await page.getByLabel('Slug (used in addresses)').fill('Bad Slug!');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Use only lowercase letters a–z, digits 0–9 and hyphens.')).toBeVisible();
  await expect(page.getByLabel('Account name')).toHaveValue('Bad Slug Inc');
  await expect(page.getByLabel('Slug (used in addresses)')).toHaveValue('Bad Slug!');
  // What was typed came back from the server, not through the address.
  expect(page.url()).not.toContain('Bad');
  await page.screenshot({ path: 'test-results/screens/refused-form-desktop.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: 'test-results/screens/refused-form-phone.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole('link', { name: 'My accounts' }).click();
  await expect(page.getByText('You do not work in any account yet.')).toBeVisible();
});

test('the language switcher shows Polish and remembers it', async ({ page }) => {
  const id = uniq();
  await register(page, `pl-${id}@example.com`, 'Zofia');
  await hydrated(page);
  await page.getByRole('button', { name: 'Polski' }).click();
  await expect(page.getByRole('heading', { name: 'Moje konta' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'pl');
  await page.reload();
  await expect(page.getByText('Nie pracujesz jeszcze na żadnym koncie.')).toBeVisible();
  await page.getByRole('link', { name: 'Nowe konto' }).click();
  await expect(page.getByLabel('Nazwa konta')).toBeVisible();
  await page.getByRole('button', { name: 'Utwórz konto' }).click();
  await expect(page.getByText('To pole jest wymagane.').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/new-account-pl.png', fullPage: true });
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { name: 'Create an account' })).toBeVisible();
});

test('the browser language is used when nothing was chosen', async ({ browser }) => {
  const ctx = await newContext(browser, { locale: 'pl-PL' });
  const page = await ctx.newPage();
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Logowanie' })).toBeVisible();
  await expect(page.getByLabel('Hasło')).toBeVisible();
  await ctx.close();
});
