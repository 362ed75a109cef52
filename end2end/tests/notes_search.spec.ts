import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq } from './helpers';

test('operators leave internal notes the customer never sees', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, admin, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('My order 1234 never arrived');
  await box.press('Enter');

  // The admin watches the same conversation.
  await admin.goto(`/a/acme-${id}/inbox`);
  await hydrated(admin);
  await admin.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const pane = op.getByRole('region', { name: 'Conversation' });
  await pane.getByRole('radio', { name: 'Internal note' }).check();
  const note = pane.getByLabel('Internal note (only operators see it)');
  // Empty: a clear error, nothing added.
  await pane.getByRole('button', { name: 'Add note' }).click();
  await expect(pane.getByRole('alert').filter({ hasText: 'This field is required.' })).toBeVisible();
  await note.fill('Checked with the warehouse: parcel lost, refund approved <b>not bold</b>');
  await pane.getByRole('button', { name: 'Add note' }).click();
  const mine = pane.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'refund approved' });
  await expect(mine).toContainText('Internal note');
  await expect(mine).toContainText('<b>not bold</b>');
  await expect(note).toHaveValue('');
  // Live in the admin's inbox.
  await expect(admin.getByRole('region', { name: 'Conversation' }).getByText(/refund approved/)).toBeVisible();

  // The reply goes to the customer; the note never does.
  await pane.getByRole('radio', { name: 'Message to the customer' }).check();
  const reply = pane.getByLabel('Reply', { exact: true });
  await reply.fill('We are refunding your order.');
  await reply.press('Enter');
  await expect(customer.getByText('We are refunding your order.')).toBeVisible();
  await expect(customer.getByText(/refund approved/)).toHaveCount(0);
  await customer.reload();
  await hydrated(customer);
  await expect(customer.getByText('We are refunding your order.')).toBeVisible();
  await expect(customer.getByText(/refund approved/)).toHaveCount(0);

  // Kept: after a reload the note is still between the messages.
  await op.reload();
  await hydrated(op);
  await expect(pane.getByRole('list', { name: 'Messages' }).getByText(/refund approved/)).toBeVisible();
  await pane.getByRole('radio', { name: 'Internal note' }).check();
  await op.screenshot({ path: 'test-results/screens/notes-desktop.png', fullPage: true });
  await op.setViewportSize({ width: 390, height: 844 });
  await op.screenshot({ path: 'test-results/screens/notes-phone.png', fullPage: true });
  await op.setViewportSize({ width: 1280, height: 800 });
  // In Polish.
  await opCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: op.url() }]);
  await op.reload();
  await hydrated(op);
  const rozmowa = op.getByRole('region', { name: 'Rozmowa' });
  await rozmowa.getByRole('radio', { name: 'Notatka wewnętrzna' }).check();
  await expect(rozmowa.getByLabel('Notatka wewnętrzna (widzą ją tylko operatorzy)')).toBeVisible();
  await expect(rozmowa.getByRole('button', { name: 'Dodaj notatkę' })).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('an operator searches conversations by message text and customer name', async ({ browser, consoleErrors }) => {
  // The server answers a too-short search 422, which the browser logs.
  consoleErrors.allow(/search_conversations\): Failed to load resource: the server responded with a status of 422/);
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill(`Please send invoice ${id} again`);
  await box.press('Enter');
  await expect(customer.getByText(`Please send invoice ${id} again`)).toBeVisible();

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const search = op.getByRole('search');
  const q = search.getByLabel('Search conversations');
  // Too short: said next to the box.
  await q.fill('a');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(search.getByRole('alert')).toHaveText('Type at least one word of two or more letters or digits.');
  await expect(q).toHaveAttribute('aria-invalid', 'true');

  await q.fill(`INVOICE ${id}`);
  await q.press('Enter');
  const results = op.getByRole('region', { name: 'Search results' });
  await expect(results.getByRole('status')).toContainText(`Results for “INVOICE ${id}”`);
  const hit = results.getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(hit).toContainText(`Please send invoice ${id} again`);
  await expect(op).toHaveURL(/q=INVOICE/);
  await hit.click();
  await expect(op.getByRole('region', { name: 'Conversation' }).getByRole('heading', { name: `Cleo ${id}` })).toBeVisible();

  // By the customer's name.
  await q.fill(`cleo ${id}`);
  await q.press('Enter');
  await expect(results.getByRole('link', { name: new RegExp(`Cleo ${id}`) })).toContainText("The customer's name matches");
  // Nothing found.
  await q.fill(`zzz${id}`);
  await q.press('Enter');
  await expect(results.getByRole('status')).toContainText(`No conversation matches “zzz${id}”`);
  await op.screenshot({ path: 'test-results/screens/search-desktop.png', fullPage: true });
  // Clearing brings the filters back.
  await results.getByRole('button', { name: 'Clear search' }).click();
  await expect(op.getByRole('navigation', { name: 'Filters' })).toBeVisible();
  await expect(results).toHaveCount(0);

  // The address alone (a reload, a shared link, no JavaScript) shows the same results.
  await op.setViewportSize({ width: 390, height: 844 });
  await op.goto(`/a/acme-${id}/inbox?f=all&q=invoice+${id}`);
  await expect(op.getByRole('region', { name: 'Search results' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) })).toBeVisible();
  await op.screenshot({ path: 'test-results/screens/search-phone.png', fullPage: true });
  await op.setViewportSize({ width: 1280, height: 800 });
  // In Polish.
  await opCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: op.url() }]);
  await op.reload();
  await expect(op.getByRole('region', { name: 'Wyniki wyszukiwania' }).getByRole('status')).toContainText('Wyniki dla');
  await expect(op.getByRole('search').getByLabel('Szukaj w rozmowach')).toHaveValue(`invoice ${id}`);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});
