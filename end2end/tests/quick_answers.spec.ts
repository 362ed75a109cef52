import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq, watchConsole } from './helpers';

test('admins keep quick answers; an operator picks one with / and the keyboard, placeholders filled in', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, admin, op, path } = await channelWithOperator(browser, id);
  const adminErrors = watchConsole(admin);

  // The admin's list, from the Contact Center.
  await admin.getByRole('link', { name: 'Quick answers' }).click();
  await expect(admin.getByRole('heading', { name: 'Quick answers', level: 1 })).toBeVisible();
  await expect(admin.getByText('No quick answers yet.')).toBeVisible();

  // Bad input: the field and the reason, nothing stored.
  const add = admin.getByRole('button', { name: 'Add quick answer' });
  // The new answer's fields (each item's own fields stay hidden until its Edit is opened).
  const field = (name: string) => admin.getByRole('textbox', { name, exact: true });
  await field('Text').fill('Something');
  await add.click();
  await expect(field('Title')).toHaveAttribute('aria-invalid', 'true');
  await expect(admin.getByText('This field is required.')).toBeVisible();
  await expect(field('Text')).toHaveValue('Something');
  await expect(admin.getByText('No quick answers yet.')).toBeVisible();

  await field('Title').fill('Greeting');
  await field('Text').fill('Dzień dobry, {customer_name}! I am {operator_name} of {channel_name}.');
  await add.click();
  await expect(admin.getByText('Quick answer added.')).toBeVisible();
  await expect(admin.getByRole('heading', { name: 'Greeting' })).toBeVisible();
  await field('Title').fill('Refund');
  await field('Text').fill('Refunds take 14 days.');
  await add.click();
  // The notice is already on the page from the first answer: wait for the new one.
  await expect(admin.getByRole('heading', { name: 'Refund' })).toBeVisible();
  await expect(admin.getByText('Quick answer added.')).toBeVisible();
  // A title already in use is refused, with what was typed kept.
  await field('Title').fill('Greeting');
  await field('Text').fill('Hello again');
  await add.click();
  await expect(admin.getByText('A quick answer with this title already exists.')).toBeVisible();
  await expect(field('Text')).toHaveValue('Hello again');
  await expect(field('Title')).toHaveValue('Greeting');

  // Editing one.
  const refund = admin.getByRole('listitem').filter({ has: admin.getByRole('heading', { name: 'Refund' }) });
  await refund.getByText('Edit', { exact: true }).click();
  await refund.getByLabel('Text').fill('Refunds take up to 14 days, {customer_name}.');
  await refund.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Quick answer saved.')).toBeVisible();
  await expect(refund).toContainText('Refunds take up to 14 days, {customer_name}.');

  // In Polish.
  await adminCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: admin.url() }]);
  await admin.reload();
  await expect(admin.getByRole('heading', { name: 'Szybkie odpowiedzi', level: 1 })).toBeVisible();
  await field('Tytuł').fill('Pożegnanie');
  await field('Treść').fill('Do widzenia!');
  await admin.getByRole('button', { name: 'Dodaj szybką odpowiedź' }).click();
  await expect(admin.getByText('Dodano szybką odpowiedź.')).toBeVisible();
  await admin.screenshot({ path: 'test-results/screens/quick-answers-pl-desktop.png', fullPage: true });
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.screenshot({ path: 'test-results/screens/quick-answers-pl-phone.png', fullPage: true });
  expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await admin.getByRole('button', { name: 'Usuń Pożegnanie' }).click();
  await expect(admin.getByText('Usunięto szybką odpowiedź.')).toBeVisible();
  await expect(admin.getByRole('heading', { name: 'Pożegnanie' })).toHaveCount(0);
  expect(adminErrors).toEqual([]);

  // The operator reads the list but cannot change it.
  await op.goto(`/a/acme-${id}/contact-center/quick-answers`);
  await expect(op.getByText('Only admins can change this list.')).toBeVisible();
  await expect(op.getByRole('heading', { name: 'Greeting' })).toBeVisible();
  await expect(op.getByRole('button', { name: 'Add quick answer' })).toHaveCount(0);

  // A customer writes; the operator answers with quick answers.
  const { page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Hi, where is my refund?');
  await box.press('Enter');
  const opErrors = watchConsole(op);
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const reply = op.getByLabel('Reply');
  await expect(reply).toHaveAttribute('placeholder', 'Type / for quick answers.');

  await reply.pressSequentially('/');
  const choices = op.getByRole('listbox', { name: 'Quick answers' });
  await expect(choices.getByRole('option')).toHaveCount(2);
  await expect(choices.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
  await reply.pressSequentially('gre');
  await expect(choices.getByRole('option')).toHaveCount(1);
  await expect(choices.getByRole('option', { name: /Greeting/ })).toHaveAttribute('aria-selected', 'true');
  await expect(reply).toHaveAttribute('aria-activedescendant', /^qa-opt-\d+$/);
  await op.setViewportSize({ width: 390, height: 844 });
  await op.screenshot({ path: 'test-results/screens/quick-answers-inbox-phone.png' });
  await op.setViewportSize({ width: 1280, height: 800 });
  await reply.press('Enter');
  await expect(choices).toHaveCount(0);
  const greeting = `Dzień dobry, Cleo ${id}! I am Olek ${id} of `;
  await expect(reply).toHaveValue(new RegExp(`^${greeting}.*Help ${id}\\.$`));
  await reply.press('Enter');
  const custMsgs = customer.getByRole('list', { name: 'Messages' });
  await expect(custMsgs).toContainText(greeting);

  // ↑/↓ move the choice; a text match is found too; a click inserts.
  await reply.pressSequentially('/');
  await expect(choices.getByRole('option')).toHaveCount(2);
  await reply.press('ArrowDown');
  await expect(choices.getByRole('option', { name: /Refund/ })).toHaveAttribute('aria-selected', 'true');
  await reply.press('ArrowDown');
  await expect(choices.getByRole('option', { name: /Greeting/ })).toHaveAttribute('aria-selected', 'true');
  await reply.press('ArrowUp');
  await expect(choices.getByRole('option', { name: /Refund/ })).toHaveAttribute('aria-selected', 'true');
  await reply.pressSequentially('14 days');
  await expect(choices.getByRole('option')).toHaveCount(1);
  await op.screenshot({ path: 'test-results/screens/quick-answers-inbox-desktop.png' });
  await choices.getByRole('option', { name: /Refund/ }).click();
  await expect(reply).toHaveValue(`Refunds take up to 14 days, Cleo ${id}.`);
  await expect(reply).toBeFocused();
  await reply.press('Enter');
  await expect(custMsgs).toContainText(`Refunds take up to 14 days, Cleo ${id}.`);

  // Nothing matches: said so, and Enter sends the text as typed. Escape closes the list.
  await reply.pressSequentially('/nothing like this');
  await expect(op.getByText('No quick answer matches.')).toBeVisible();
  await reply.fill('');
  await reply.pressSequentially('/');
  await expect(choices).toBeVisible();
  await reply.press('Escape');
  await expect(choices).toHaveCount(0);
  await reply.pressSequentially('shrug');
  await expect(choices).toHaveCount(0);
  await reply.press('Enter');
  await expect(custMsgs).toContainText('/shrug');
  expect(opErrors).toEqual([]);
});
