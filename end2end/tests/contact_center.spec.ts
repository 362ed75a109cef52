import { test, expect } from './fixtures';
import { adminWithAccount, connectNewChannel, hydrated, inviteAndAccept, makePng, newContext, register, uniq, watchConsole } from './helpers';

test('an admin connects a new channel, fills every field, crops a non-square avatar, copies the link and finds it all after a reload', async ({ browser }) => {
  const ctx = await newContext(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  const errors = watchConsole(page);
  const id = uniq();
  await adminWithAccount(page, id);
  await connectNewChannel(page, `Support ${id}`);
  await expect(page.getByRole('status').first()).toHaveText('The channel is connected to the Network. Set it up below.');
  await hydrated(page);

  const code = await page.getByLabel('Code').inputValue();
  expect(code).toMatch(/^[0-9a-f]{32}$/);
  const link = await page.getByLabel('Link').inputValue();
  expect(link).toMatch(new RegExp(`/oauth/select/\\?preset=im&IM_DIALOG=networkLines${code}$`));

  await page.getByLabel('Name', { exact: true }).fill('Acme Help');
  await page.getByLabel('Short description').fill('Deliveries, invoices, returns');
  await page.getByLabel('Welcome message').fill('Dzień dobry! How can we help?');
  await expect(page.getByLabel('Limit')).toBeHidden();
  await page.getByRole('switch', { name: 'Allow multiple simultaneous chats with the same customer' }).check();
  await expect(page.getByLabel('Limit')).toBeVisible();
  await page.getByLabel('Limit').fill('4');
  // Messages from other accounts' apps: allowed until the admin switches them off.
  const restMessages = page.getByRole('switch', { name: "Let other accounts' apps send messages from this channel" });
  await expect(restMessages).toBeChecked();
  await restMessages.uncheck();

  await page.getByLabel('Avatar').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: makePng(300, 150) });
  await expect(page.getByRole('img', { name: 'Avatar preview' })).toBeVisible();
  await expect(page.getByText('This picture is not square')).toBeVisible();
  const crop = page.getByLabel('Crop to the centre square');
  await expect(crop).toBeChecked();

  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await page.screenshot({ path: 'test-results/screens/network-settings.png', fullPage: true });

  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Acme Help');
  await expect(page.getByLabel('Short description')).toHaveValue('Deliveries, invoices, returns');
  await expect(page.getByLabel('Welcome message')).toHaveValue('Dzień dobry! How can we help?');
  await expect(page.getByRole('switch', { name: 'Allow multiple simultaneous chats with the same customer' })).toBeChecked();
  await expect(page.getByLabel('Limit')).toHaveValue('4');
  await expect(restMessages).not.toBeChecked();
  await expect(page.getByLabel('Code')).toHaveValue(code);
  const avatar = page.getByRole('img', { name: 'Avatar preview' });
  await expect(avatar).toHaveAttribute('src', /^\/avatars\/[0-9a-f]{32}\/256\.png$/);
  // The stored avatar is the cropped square: opaque in its top row.
  const src = await avatar.getAttribute('src');
  const res = await page.request.get(src!);
  expect(res.headers()['cache-control']).toContain('immutable');
  expect(errors).toEqual([]);
  await ctx.close();
});

test('an invalid name is shown next to the field and nothing is saved', async ({ page }) => {
  const id = uniq();
  await adminWithAccount(page, id);
  await connectNewChannel(page, `Desk ${id}`);
  await page.getByLabel('Name', { exact: true }).fill('');
  await page.getByLabel('Welcome message').fill('This must not be saved');
  await page.getByRole('switch', { name: 'Allow multiple simultaneous chats with the same customer' }).check();
  await page.getByLabel('Limit').fill('50');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please correct the marked fields.');
  await expect(page.getByText('This field is required.')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Enter a number from 2 to 20.')).toBeVisible();
  await expect(page.getByLabel('Welcome message')).toHaveValue('This must not be saved');
  // Opening the form afresh shows the stored values: nothing was saved.
  await page.goto(page.url().split('?')[0]);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(`Desk ${id}`);
  await expect(page.getByLabel('Welcome message')).toHaveValue('');
  await expect(page.getByRole('switch', { name: 'Allow multiple simultaneous chats with the same customer' })).not.toBeChecked();
});

test('an operator sees the channel read-only and cannot open the settings form', async ({ browser, consoleErrors }) => {
  // The settings page answers the operator 403, which the browser logs.
  consoleErrors.allow(/status of 403/);
  const id = uniq();
  const adminCtx = await newContext(browser);
  const opCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  const op = await opCtx.newPage();
  await register(op, `op-${id}@example.com`, `Oskar ${id}`);
  await adminWithAccount(admin, id);
  await connectNewChannel(admin, `Line ${id}`);
  const settingsUrl = admin.url().split('?')[0];
  await inviteAndAccept(admin, op, id, `op-${id}@example.com`);
  await admin.getByRole('link', { name: 'Contact Center' }).click();
  await admin.getByRole('group', { name: `Operators of Line ${id}` }).getByLabel(`Oskar ${id}`).check();
  await admin.getByRole('button', { name: 'Save operators' }).click();
  await expect(admin.getByText('Operators saved.')).toBeVisible();

  await op.goto(`/a/acme-${id}/contact-center`);
  await expect(op.getByRole('heading', { name: `Line ${id}` })).toBeVisible();
  await expect(op.getByText(`Oskar ${id}`, { exact: false }).first()).toBeVisible();
  await expect(op.getByRole('button', { name: 'Create channel' })).toHaveCount(0);
  await op.getByRole('link', { name: 'Network channel' }).click();
  await expect(op.getByRole('link', { name: /Settings/ })).toHaveCount(0);
  await op.goto(settingsUrl);
  await expect(op.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await expect(op.getByLabel('Code')).toHaveCount(0);
  await adminCtx.close();
  await opCtx.close();
});

test('disconnecting makes the link show that the channel is unavailable; connecting again restores it', async ({ browser }) => {
  const id = uniq();
  const adminCtx = await newContext(browser);
  const custCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  const customer = await custCtx.newPage();
  await adminWithAccount(admin, id);
  await connectNewChannel(admin, `Care ${id}`);
  const link = await admin.getByLabel('Link').inputValue();
  const path = link.replace(/^https?:\/\/[^/]+/, '');

  await register(customer, `cust-${id}@example.com`, 'Cleo Customer');
  await customer.goto(path);
  await expect(customer.getByRole('heading', { name: `Care ${id}` })).toBeVisible();
  await expect(customer.getByRole('heading', { name: 'Write from which account?' })).toBeVisible();

  await admin.getByRole('link', { name: 'Disconnect' }).click();
  await expect(admin.getByRole('heading', { name: 'Disconnect from the Network?' })).toBeVisible();
  await admin.getByRole('button', { name: 'Yes, disconnect' }).click();
  await expect(admin.getByRole('status')).toHaveText('The channel is disconnected from the Network.');
  await expect(admin.getByRole('row', { name: new RegExp(`Care ${id}`) })).toContainText('Disconnected');

  await customer.reload();
  await expect(customer.getByRole('heading', { name: 'This channel is unavailable' })).toBeVisible();

  await admin.getByRole('row', { name: new RegExp(`Care ${id}`) }).getByRole('button', { name: 'Connect' }).click();
  await expect(admin.getByLabel('Link')).toHaveValue(link);
  await customer.reload();
  await expect(customer.getByRole('heading', { name: `Care ${id}` })).toBeVisible();
  await adminCtx.close();
  await custCtx.close();
});

test('the link of an unknown channel says so', async ({ page, consoleErrors }) => {
  consoleErrors.allow(/status of 404/);
  await register(page, `lost-${uniq()}@example.com`, 'Lost');
  const res = await page.goto('/oauth/select/?preset=im&IM_DIALOG=networkLines0123456789abcdef0123456789abcdef');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'No such channel' })).toBeVisible();
});
