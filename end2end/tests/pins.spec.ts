import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq } from './helpers';

test('an operator pins a conversation for themselves and finds it under Pinned after a reload', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Please keep an eye on this');
  await box.press('Enter');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const filters = op.getByRole('navigation', { name: 'Filters' });
  await filters.getByRole('link', { name: 'Pinned' }).click();
  await expect(op.getByText('No conversations here.')).toBeVisible();
  await filters.getByRole('link', { name: 'All' }).click();
  const item = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await item.click();
  const pin = op.getByRole('region', { name: 'Conversation' }).getByRole('button', { name: /Pin/ });
  await expect(pin).toHaveAttribute('aria-pressed', 'false');
  await pin.click();
  await expect(pin).toHaveAttribute('aria-pressed', 'true');
  await expect(item.getByRole('img', { name: 'Pinned' })).toBeVisible();

  // Kept on the server: after a reload the Pinned filter lists it.
  await op.goto(`/a/acme-${id}/inbox?f=pinned`);
  await hydrated(op);
  const pinnedItem = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(pinnedItem).toBeVisible();
  await op.setViewportSize({ width: 390, height: 844 });
  await op.screenshot({ path: 'test-results/screens/pins-phone.png', fullPage: true });
  await op.setViewportSize({ width: 1280, height: 800 });
  // Unpinned from the Pinned list: it leaves the list.
  await pinnedItem.click();
  await op.getByRole('region', { name: 'Conversation' }).getByRole('button', { name: /Pin/ }).click();
  await expect(op.getByRole('list', { name: 'Conversations' }).getByRole('link')).toHaveCount(0);
  // In Polish the filter reads "Przypięte".
  await opCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: op.url() }]);
  await op.reload();
  await expect(op.getByRole('navigation', { name: 'Filtry' }).getByRole('link', { name: 'Przypięte' })).toHaveAttribute('aria-current', 'page');
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});
