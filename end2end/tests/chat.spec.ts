import { test, expect, Page } from './fixtures';
import { channelWithOperator as setup, createAccount, customerOnChat, hydrated, newContext, PASSWORD, register, uniq, watchConsole } from './helpers';

/** Disconnects (or reconnects) the test's channel from the admin's side. */
async function admin_disconnect(ctx: import('@playwright/test').BrowserContext, id: string, disconnect: boolean) {
  const page = await ctx.newPage();
  await page.goto(`/a/acme-${id}/contact-center/network`);
  const row = page.getByRole('row', { name: new RegExp(`Acme Help ${id}`) });
  if (disconnect) {
    await row.getByRole('link', { name: /Settings/ }).click();
    await page.getByRole('link', { name: 'Disconnect' }).click();
    await page.getByRole('button', { name: 'Yes, disconnect' }).click();
    await expect(page.getByRole('status')).toHaveText('The channel is disconnected from the Network.');
  } else {
    await row.getByRole('button', { name: 'Connect' }).click();
    await expect(page.getByText('The channel is connected to the Network.')).toBeVisible();
  }
  await page.close();
}

async function conversationId(page: Page): Promise<string> {
  const href = await page.getByRole('tablist', { name: 'Open conversations' }).getByRole('tab').first().getAttribute('href');
  return href!.replace('?c=', '');
}

test('a customer opens the link, signs in, picks an account, sees the welcome message and chats live with the operator', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await setup(browser, id);
  const custCtx = await newContext(browser);
  // Lets the test cut the page's live connection, as a flaky network would.
  await custCtx.addInitScript(() => {
    const Orig = window.WebSocket;
    const all: WebSocket[] = [];
    class Tracked extends Orig {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        all.push(this);
      }
    }
    (window as any).WebSocket = Tracked;
    (window as any).__dropSockets = () => all.forEach((s) => s.close());
  });
  const customer = await custCtx.newPage();
  const errors = watchConsole(customer);
  // An identity with an account of its own, signed out.
  await register(customer, `cleo-${id}@example.com`, 'Cleo Customer');
  await createAccount(customer, `Borealis ${id}`, `borealis-${id}`);
  await customer.getByRole('button', { name: 'Sign out' }).click();

  // Signed out, the link already shows whom they are about to contact.
  await customer.goto(path);
  await expect(customer.getByRole('heading', { name: `Acme Help ${id}` })).toBeVisible();
  await expect(customer.getByText('We answer within minutes')).toBeVisible();
  await expect(customer.getByText('Dzień dobry! How can we help?')).toBeVisible();
  await customer.getByRole('link', { name: 'Sign in to write' }).click();
  await expect(customer).toHaveURL(/\/login\?next=/);
  await customer.getByLabel('Email', { exact: true }).fill(`cleo-${id}@example.com`);
  await customer.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await customer.getByRole('button', { name: 'Sign in' }).click();
  await expect(customer.getByRole('heading', { name: 'Write from which account?' })).toBeVisible();
  await expect(customer.getByRole('heading', { name: `Acme Help ${id}` })).toBeVisible();
  await customer.getByRole('link', { name: `Write from Borealis ${id}` }).click();

  await expect(customer.getByText('We answer within minutes')).toBeVisible();
  await hydrated(customer);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('   ');
  await box.press('Enter');
  await expect(customer.getByRole('alert')).toHaveText('This field is required.');
  await box.fill('Where is my parcel?');
  await box.press('Enter');
  const messages = customer.getByRole('list', { name: 'Messages' });
  await expect(messages.getByRole('listitem').first()).toContainText('Dzień dobry! How can we help?');
  const mine = messages.getByRole('listitem').filter({ hasText: 'Where is my parcel?' });
  await expect(mine).toContainText('Sent');
  await expect(box).toHaveValue('');

  const conv = await conversationId(customer);
  const res = await opCtx.request.post('/api/operator_reply', {
    form: { slug: `acme-${id}`, conversation: conv, client_id: `reply-${id}`, body: 'It leaves the warehouse today.' },
  });
  expect(res.ok()).toBeTruthy();
  await expect(messages.getByRole('listitem').filter({ hasText: 'It leaves the warehouse today.' })).toContainText(`Olek ${id}`);
  await expect(customer.getByRole('navigation', { name: 'Conversations' })).toContainText('Open');

  // Shift+Enter makes a new line instead of sending.
  await box.fill('Line one');
  await box.press('Shift+Enter');
  await box.type('Line two');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Line two' })).toContainText('Line one');
  // A failed send says why and offers Retry; Retry sends the same message once it can.
  await admin_disconnect(adminCtx, id, true);
  await box.fill('Are you there?');
  await box.press('Enter');
  const failed = messages.getByRole('listitem').filter({ hasText: 'Are you there?' });
  await expect(failed).toContainText('Not sent: This channel is unavailable.');
  await admin_disconnect(adminCtx, id, false);
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(failed).toContainText('Sent');
  await expect(failed.getByRole('button', { name: 'Retry' })).toHaveCount(0);

  // Offline for a while: the page says so, reconnects by itself and gets what it missed.
  await custCtx.setOffline(true);
  await customer.evaluate(() => (window as any).__dropSockets());
  await expect(customer.getByText('You are offline. What you write is kept and sent when you are back online.')).toBeVisible();
  await opCtx.request.post('/api/operator_reply', {
    form: { slug: `acme-${id}`, conversation: conv, client_id: `missed-${id}`, body: 'Sent while you were offline' },
  });
  await custCtx.setOffline(false);
  await expect(messages.getByRole('listitem').filter({ hasText: 'Sent while you were offline' })).toHaveCount(1, { timeout: 40_000 });
  await expect(customer.getByText('You are offline. What you write is kept and sent when you are back online.')).toHaveCount(0);
  // One conversation at a time (the switch is off): a new one closes the current one,
  // and writing in a closed one starts another.
  const tabs = customer.getByRole('navigation', { name: 'Conversations' });
  await box.fill('A different question');
  await customer.getByRole('button', { name: 'Start a new conversation' }).click();
  // Open conversations are tabs; finished ones wait under "Previous conversations".
  await expect(tabs.getByRole('tab')).toHaveCount(1);
  await expect(tabs.getByRole('tab', { name: /Conversation 2 · Waiting for an operator/ })).toHaveAttribute('aria-selected', 'true');
  await expect(tabs.getByRole('link', { name: /Conversation 1 · Closed/ })).toBeHidden();
  await tabs.getByText('Previous conversations (1)').click();
  await expect(tabs.getByRole('link', { name: /Conversation 1 · Closed/ })).toBeVisible();
  await expect(messages.getByRole('listitem').first()).toContainText('Dzień dobry! How can we help?');
  await expect(messages).not.toContainText('Where is my parcel?');
  await tabs.getByRole('link', { name: /Conversation 1 · Closed/ }).click();
  await expect(customer.getByText('This conversation is closed. Writing again starts a new conversation.')).toBeVisible();
  await expect(messages).toContainText('Where is my parcel?');
  await hydrated(customer);
  await box.fill('Back again');
  await box.press('Enter');
  await expect(tabs.getByRole('tab')).toHaveCount(1);
  await expect(tabs.getByRole('link')).toHaveCount(2);
  await expect(messages.getByRole('listitem').filter({ hasText: 'Back again' })).toContainText('Sent');
  await expect(tabs.getByRole('link', { name: /Conversation 2 · Closed/ })).toBeVisible();
  await customer.setViewportSize({ width: 390, height: 800 });
  await customer.screenshot({ path: 'test-results/screens/chat-phone.png', fullPage: true });
  expect(errors).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
  void op;
});

test('the same customer flow works with JavaScript disabled', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, path } = await setup(browser, id);
  const setupCtx = await newContext(browser);
  const p = await setupCtx.newPage();
  await register(p, `nojs-${id}@example.com`, 'Noa NoJS');
  await createAccount(p, `Static ${id}`, `static-${id}`);
  await setupCtx.close();

  const ctx = await newContext(browser, { javaScriptEnabled: false });
  const customer = await ctx.newPage();
  await customer.goto(path);
  await customer.getByRole('link', { name: 'Sign in to write' }).click();
  await customer.getByLabel('Email', { exact: true }).fill(`nojs-${id}@example.com`);
  await customer.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await customer.getByRole('button', { name: 'Sign in' }).click();
  await customer.getByRole('link', { name: `Write from Static ${id}` }).click();
  // Before writing, the channel's welcome message shows as the chat will begin.
  await expect(customer.getByText('Dzień dobry! How can we help?')).toBeVisible();
  await customer.getByLabel('Message', { exact: true }).fill('Hello without JavaScript');
  await customer.getByRole('button', { name: 'Send', exact: true }).click();
  const messages = customer.getByRole('list', { name: 'Messages' });
  await expect(messages).toContainText('Dzień dobry! How can we help?');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Hello without JavaScript' })).toContainText('Sent');

  const conv = await conversationId(customer);
  await opCtx.request.post('/api/operator_reply', {
    form: { slug: `acme-${id}`, conversation: conv, client_id: `reply-${id}`, body: 'Answer after a reload' },
  });
  await customer.reload();
  await expect(messages).toContainText('Answer after a reload');
  await customer.getByLabel('Message', { exact: true }).fill('   ');
  await customer.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(customer.getByText('This field is required.')).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});

test('a customer finishes their own conversation; the operator sees it closed live', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await setup(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Thanks, that was all');
  await box.press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Sent');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const item = op.getByRole('list', { name: 'Conversations' }).getByRole('link').first();
  await expect(item).toContainText('Thanks, that was all');
  await expect(item).not.toContainText('Closed');

  const finish = customer.getByRole('button', { name: 'Finish this conversation' });
  await expect(finish).toHaveAccessibleDescription(/Closes it for you and the operator/);
  await finish.click();
  await expect(customer.getByText('This conversation is closed. Writing again starts a new conversation.')).toBeVisible();
  await expect(customer.getByText('Previous conversations (1)')).toBeVisible();
  await expect(finish).toHaveCount(0);
  // The operator's inbox follows live.
  await expect(item).toContainText('Closed');
  await op.getByRole('navigation', { name: 'Filters' }).getByRole('link', { name: 'Closed' }).click();
  await expect(op.getByRole('list', { name: 'Conversations' }).getByRole('link')).toHaveCount(1);
  // Writing again starts a new conversation.
  await box.fill('One more thing');
  await box.press('Enter');
  await expect(customer.getByRole('tab', { name: /Conversation 2/ })).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});
