import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq, watchConsole } from './helpers';

test('strictly in order: the admin orders the queue and sets a time to take; Skip and an untaken conversation pass to the next operator', async ({ browser }) => {
  test.setTimeout(120_000);
  const id = uniq();
  const { adminCtx, opCtx, op, admin, path } = await channelWithOperator(browser, id);
  const adminErrors = watchConsole(admin);
  // The admin joins the queue: after Olek, who was there first.
  await admin.goto(`/a/acme-${id}/contact-center`);
  await admin.getByRole('group', { name: `Operators of Help ${id}` }).getByLabel(`Admin ${id}`).check();
  await admin.getByRole('button', { name: 'Save operators' }).click();
  await expect(admin.getByText('Operators saved.')).toBeVisible();
  const order = admin.getByRole('region', { name: `Queue order — Help ${id}` });
  await expect(order.getByRole('listitem')).toHaveText([new RegExp(`Olek ${id}`), new RegExp(`Admin ${id}`)]);
  await expect(order.getByRole('button', { name: `Move up Olek ${id}` })).toBeDisabled();
  await order.getByRole('button', { name: `Move up Admin ${id}` }).click();
  await expect(admin.getByText('Queue order saved.')).toBeVisible();
  await expect(order.getByRole('listitem')).toHaveText([new RegExp(`Admin ${id}`), new RegExp(`Olek ${id}`)]);
  await order.getByRole('button', { name: `Move down Admin ${id}` }).click();
  await expect(order.getByRole('listitem')).toHaveText([new RegExp(`Olek ${id}`), new RegExp(`Admin ${id}`)]);

  // Strictly in order, 10 seconds to take; a bad time is refused next to its field.
  const queue = () => admin.getByRole('group', { name: `Queue of Help ${id}` });
  await queue().getByLabel('Distribution').selectOption('strict');
  await queue().getByLabel('Time to take (seconds; 0 = off)').fill('5');
  await admin.getByRole('button', { name: 'Save queue' }).click();
  await expect(queue().getByText('Enter 0 (off) or a number of seconds from 10 to 3600.')).toBeVisible();
  await expect(queue().getByLabel('Time to take (seconds; 0 = off)')).toHaveAttribute('aria-invalid', 'true');
  await queue().getByLabel('Distribution').selectOption('strict');
  await queue().getByLabel('Time to take (seconds; 0 = off)').fill('10');
  await admin.getByRole('button', { name: 'Save queue' }).click();
  await expect(admin.getByText('Queue settings saved.')).toBeVisible();
  await expect(queue().getByLabel('Distribution')).toHaveValue('strict');
  await expect(queue().getByLabel('Time to take (seconds; 0 = off)')).toHaveValue('10');
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.screenshot({ path: 'test-results/screens/queue-order-phone.png', fullPage: true });
  expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await admin.setViewportSize({ width: 1280, height: 800 });

  // Both have the inbox open (online). A customer writes: Olek, first in the order, gets it.
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await admin.goto(`/a/acme-${id}/inbox`);
  await hydrated(admin);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Is anybody there?');
  await box.press('Enter');
  const opItem = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  const adminItem = admin.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(opItem).toContainText('Yours');
  await expect(adminItem).toContainText(`Olek ${id}`);

  // Olek skips it: it goes to the next in the order, the admin.
  await opItem.click();
  const pane = op.getByRole('region', { name: 'Conversation' });
  await expect(pane.getByRole('button', { name: 'Skip' })).toHaveAttribute('title', /back to the queue/);
  await pane.getByRole('button', { name: 'Skip' }).click();
  await expect(adminItem).toContainText('Yours');
  await expect(pane).toContainText(`Assigned to Admin ${id}`);
  await expect(pane.getByRole('button', { name: 'Skip' })).toHaveCount(0);
  // The admin answers and finishes it.
  await adminItem.click();
  await admin.getByLabel('Reply').fill('Admin here, how can I help?');
  await admin.getByLabel('Reply').press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Admin here, how can I help?');
  await admin.getByRole('region', { name: 'Conversation' }).getByRole('button', { name: 'Finish' }).click();
  await expect(adminItem).toContainText('Closed');

  // The customer writes again: a new conversation, Olek's. Nobody answers it within
  // 10 seconds, so it passes to the admin by itself.
  await box.fill('Hello again?');
  await box.press('Enter');
  const second = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Hello again\?/ });
  await expect(second).toContainText('Yours');
  const adminSecond = admin.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Hello again\?/ });
  await expect(adminSecond).toContainText('Yours', { timeout: 20_000 });
  await expect(second).toContainText(`Admin ${id}`);
  expect(adminErrors).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});
