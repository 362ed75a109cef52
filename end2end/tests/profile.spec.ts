import { test, expect } from './fixtures';
import { createAccount, hydrated, newContext, register, uniq, watchConsole } from './helpers';

test('a member creates a webhook and an access token in their profile, uses them, and revokes the webhook', async ({ browser }) => {
  const id = uniq();
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  const errors = watchConsole(page);
  await register(page, `dev-${id}@example.com`, `Dev ${id}`);
  await createAccount(page, `Acme ${id}`, `acme-${id}`);
  await page.getByRole('link', { name: 'Profile' }).click();
  await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
  await hydrated(page);

  // No scope chosen: the error is shown next to the scopes and nothing is created.
  const hookForm = page.locator('form[action="/profile/webhooks"]');
  await hookForm.getByLabel('imopenlines').uncheck();
  await hookForm.getByLabel('im', { exact: true }).uncheck();
  await hookForm.getByLabel('Title').fill('CRM sync');
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await expect(page.getByRole('group', { name: 'Scopes' }).first()).toContainText('This field is required.');
  await expect(page.getByText('None yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Create webhook' }).click();
  await expect(page.getByText('Webhook created.')).toBeVisible();
  const url = await page.getByLabel('Your new webhook URL').inputValue();
  expect(url).toMatch(/\/rest\/\d+\/[0-9a-f]{32}\/$/);
  await expect(page.getByText('Copy it now: it is shown only once.')).toBeVisible();
  const res = await page.request.get(`${url}imopenlines.config.list.get`);
  expect(res.status()).toBe(200);
  expect((await res.json()).result).toEqual([]);
  await page.screenshot({ path: 'test-results/screens/profile.png', fullPage: true });

  // Shown once: a reload no longer has it; the list keeps only its first characters.
  await page.reload();
  await expect(page.getByLabel('Your new webhook URL')).toHaveCount(0);
  const row = page.getByRole('row', { name: /CRM sync/ });
  await expect(row).toContainText('webhook');
  await expect(row).toContainText('im, imopenlines');

  // An access token for one hour.
  await page.getByRole('button', { name: 'Issue access token' }).click();
  await expect(page.getByText('Access token issued.')).toBeVisible();
  const token = await page.getByLabel('Your new access token').inputValue();
  const viaToken = await page.request.get(`/rest/imopenlines.config.list.get?auth=${token}`);
  expect(viaToken.status()).toBe(200);

  // Revoking the webhook turns it off at once.
  await row.getByRole('button', { name: /Revoke webhook/ }).click();
  await expect(page.getByText('Revoked.')).toBeVisible();
  await expect(page.getByRole('row', { name: /CRM sync/ })).toHaveCount(0);
  const after = await page.request.get(`${url}imopenlines.config.list.get`);
  expect(after.status()).toBe(401);
  expect((await after.json()).error).toBe('invalid_token');
  expect(errors).toEqual([]);
  await ctx.close();
});
