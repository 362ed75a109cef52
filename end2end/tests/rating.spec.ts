import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq, watchConsole } from './helpers';

test('a finished conversation asks the customer for a rating once; the operator sees it live; the channel can switch it off', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, admin, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const custErrors = watchConsole(customer);
  const opErrors = watchConsole(op);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('My parcel is late');
  await box.press('Enter');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const item = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await item.click();
  await op.getByLabel('Reply').fill('It arrives tomorrow.');
  await op.getByLabel('Reply').press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('It arrives tomorrow.');
  // No rating is asked while the conversation is open.
  await expect(customer.getByRole('group', { name: 'How was this conversation?' })).toHaveCount(0);
  await op.getByRole('region', { name: 'Conversation' }).getByRole('button', { name: 'Finish' }).click();

  // The customer's page asks at once (live), in a plain form.
  const question = customer.getByRole('group', { name: 'How was this conversation?' });
  await expect(question).toBeVisible();
  await customer.getByRole('button', { name: 'Send rating' }).click();
  await expect(customer.getByRole('group', { name: 'How was this conversation?' }).getByText('This field is required.')).toBeVisible();
  await customer.getByRole('group', { name: 'How was this conversation?' }).getByLabel('👍 Good').check();
  await customer.getByLabel('Comment (optional)').fill('Quick and kind');
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.screenshot({ path: 'test-results/screens/rating-form-phone.png', fullPage: true });
  await customer.setViewportSize({ width: 1280, height: 800 });
  await customer.getByRole('button', { name: 'Send rating' }).click();
  await expect(customer.getByText('Thank you for your rating.')).toBeVisible();
  const rated = customer.getByRole('region', { name: 'Rating' });
  await expect(rated).toContainText('You rated this conversation: 👍 Good');
  await expect(rated).toContainText('Quick and kind');
  await expect(customer.getByRole('button', { name: 'Send rating' })).toHaveCount(0);

  // The operator sees it live, in the list and in the conversation's header.
  await expect(item.getByRole('img', { name: 'Rated good' })).toBeVisible();
  await expect(op.getByRole('region', { name: 'Conversation' })).toContainText('Rated good: Quick and kind');
  await op.screenshot({ path: 'test-results/screens/rating-inbox-desktop.png' });

  // In Polish.
  await custCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: customer.url() }]);
  await customer.reload();
  await expect(customer.getByRole('region', { name: 'Ocena' })).toContainText('Twoja ocena tej rozmowy: 👍 Dobrze');

  // The channel stops asking: the next finished conversation has no form.
  await admin.goto(`/a/acme-${id}/contact-center/network`);
  await admin.getByRole('link', { name: /Settings/ }).first().click();
  const ask = admin.getByRole('switch', { name: 'Ask the customer to rate a finished conversation' });
  await expect(ask).toBeChecked();
  await ask.uncheck();
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Settings saved.')).toBeVisible();
  await expect(ask).not.toBeChecked();
  await custCtx.clearCookies({ name: 'netlines_lang' });
  await customer.reload();
  await hydrated(customer);
  await box.fill('One more question');
  await box.press('Enter');
  await expect(customer.getByRole('tab', { name: /Conversation 2/ })).toBeVisible();
  await customer.getByRole('button', { name: 'Finish this conversation' }).click();
  await expect(customer.getByText('This conversation is closed.')).toBeVisible();
  await expect(customer.getByRole('group', { name: 'How was this conversation?' })).toHaveCount(0);
  expect(custErrors).toEqual([]);
  expect(opErrors).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});
