import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, setMultiChat, uniq, watchConsole } from './helpers';


test('an operator works the inbox live: new conversation, unread title, typing and read state both ways, keyboard, finish', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const opErrors = watchConsole(op);
  await op.goto(`/a/acme-${id}`);
  await op.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Inbox' }).click();
  await expect(op.getByRole('heading', { name: 'Inbox', exact: true })).toBeVisible();
  await hydrated(op);
  await op.getByLabel('Sound for new conversations').check();
  const list = op.getByRole('list', { name: 'Conversations' });
  await expect(op.getByText('No conversations here.')).toBeVisible();

  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const custErrors = watchConsole(customer);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Hello, I need help with an invoice');
  await box.press('Enter');

  // The new conversation appears live, with the customer's name, account, channel and preview.
  const item = list.getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(item).toContainText(`Borealis ${id}`);
  await expect(item).toContainText(`Help ${id}`);
  await expect(item).toContainText('Hello, I need help with an invoice');
  await expect(item).toContainText('In the queue');
  // Times in lists are relative, in the viewer's zone, once the page runs.
  await expect(item.locator('time')).toHaveText(/^(now|\d+ min)$/);
  await expect(item.getByLabel('1 unread')).toBeVisible();
  await expect(op).toHaveTitle('(1) Inbox');
  await expect(op.locator('section.inbox')).toHaveAttribute('data-chimes', '1');
  await box.fill('Are you there?');
  await box.press('Enter');
  await expect(op).toHaveTitle('(2) Inbox');
  await expect(item).toContainText('Are you there?');
  await op.screenshot({ path: 'test-results/screens/inbox-unread.png', fullPage: true });

  // Opening it shows the history, clears the unread count and tells the customer it was read.
  await item.click();
  const thread = op.getByRole('list', { name: 'Messages' });
  await expect(thread).toContainText('Dzień dobry! How can we help?');
  await expect(thread).toContainText('Hello, I need help with an invoice');
  await expect(op).toHaveTitle('Inbox');
  const custMsgs = customer.getByRole('list', { name: 'Messages' });
  await expect(custMsgs.getByRole('listitem').filter({ hasText: 'Are you there?' })).toContainText('Read');

  // Typing shows on the other side, both ways.
  const reply = op.getByLabel('Reply');
  await reply.pressSequentially('Let me check');
  await expect(customer.getByRole('status').filter({ hasText: 'is typing…' })).toHaveText(`Olek ${id} is typing…`);
  await reply.press('Enter');
  await expect(custMsgs.getByRole('listitem').filter({ hasText: 'Let me check' })).toContainText(`Olek ${id}`);
  await expect(item).toContainText('Yours');
  await box.pressSequentially('Thanks');
  await expect(op.getByRole('status').filter({ hasText: 'is typing…' })).toHaveText(`Cleo ${id} is typing…`);
  // The customer's page is open, so the operator's message shows as read.
  await expect(thread.getByRole('listitem').filter({ hasText: 'Let me check' })).toContainText('Read');
  await box.press('Enter');
  await expect(thread.getByRole('listitem').filter({ hasText: 'Thanks' })).toBeVisible();

  // A second conversation (the switch is off: the first one closes); keyboard moves between them.
  await box.fill('Another topic entirely');
  await customer.getByRole('button', { name: 'Start a new conversation' }).click();
  await expect(list.getByRole('link')).toHaveCount(2);
  const second = list.getByRole('link').first();
  await expect(second).toContainText('Another topic entirely');
  const first = list.getByRole('link').nth(1);
  await expect(first).toContainText('Closed');
  await first.focus();
  await op.keyboard.press('ArrowUp');
  await expect(second).toHaveAttribute('aria-current', 'true');
  await expect(thread).toContainText('Another topic entirely');
  await expect(second).toBeFocused();
  await op.keyboard.press('ArrowDown');
  await expect(first).toHaveAttribute('aria-current', 'true');
  await expect(thread).toContainText('Let me check');
  await op.keyboard.press('Alt+ArrowUp');
  await expect(second).toHaveAttribute('aria-current', 'true');

  // Filters: waiting shows the unanswered one only; finishing closes it for the customer too.
  await op.getByRole('navigation', { name: 'Filters' }).getByRole('link', { name: 'Waiting' }).click();
  await expect(list.getByRole('link')).toHaveCount(1);
  await op.getByRole('button', { name: 'Finish' }).click();
  await expect(op.getByRole('region', { name: 'Conversation' })).toContainText('Closed');
  await expect(list.getByRole('link')).toHaveCount(0);
  const custTabs = customer.getByRole('navigation', { name: 'Conversations' });
  await custTabs.getByText('Previous conversations (2)').click();
  await expect(custTabs.getByRole('link', { name: /Conversation 2 · Closed/ })).toBeVisible();
  await op.getByRole('navigation', { name: 'Filters' }).getByRole('link', { name: 'Closed' }).click();
  await expect(list.getByRole('link')).toHaveCount(2);
  // A finished conversation asks nothing of anyone: no unread badge, even after a reload.
  await expect(list.getByLabel(/unread/)).toHaveCount(0);
  await op.reload();
  await hydrated(op);
  await expect(list.getByRole('link')).toHaveCount(2);
  await expect(list.getByLabel(/unread/)).toHaveCount(0);
  await op.setViewportSize({ width: 1280, height: 800 });
  await op.screenshot({ path: 'test-results/screens/inbox.png', fullPage: true });
  expect(opErrors).toEqual([]);
  expect(custErrors).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('Start new conversation from a customer or an operator message: parallel under the limit, unavailable at it, closing with one chat at a time', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, admin, path } = await channelWithOperator(browser, id);
  await setMultiChat(admin, id, '2');
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('My parcel is late');
  await box.press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Sent');
  await box.fill('Also, can I change my address?');
  await box.press('Enter');
  const tabs = customer.getByRole('navigation', { name: 'Conversations' });

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const list = op.getByRole('list', { name: 'Conversations' });
  await list.getByRole('link').first().click();
  const thread = op.getByRole('list', { name: 'Messages' });
  const msg = thread.getByRole('listitem').filter({ hasText: 'Also, can I change my address?' });
  await expect(msg).toBeVisible();

  // 1. Right-click: multiple chats allowed and under the limit → a parallel conversation.
  await msg.click({ button: 'right' });
  const menu = op.getByRole('menu', { name: 'Message actions' });
  const item = menu.getByRole('menuitem', { name: 'Start new conversation' });
  await expect(menu).toContainText('Opens a new conversation beside this one');
  await expect(item).toBeEnabled();
  await item.click();
  await expect(list.getByRole('link')).toHaveCount(2);
  await expect(op.getByRole('region', { name: 'Conversation' })).toContainText('Yours');
  await expect(thread.getByRole('listitem')).toHaveCount(1);
  await expect(thread).toContainText('Also, can I change my address?');
  // Held by the operator who split it: open, not "waiting", and under Open, not Waiting.
  await expect(op.getByRole('region', { name: 'Conversation' })).toContainText('Open · Yours');
  await expect(op.getByRole('region', { name: 'Conversation' })).not.toContainText('Waiting for an operator');
  const filters = op.getByRole('navigation', { name: 'Filters' });
  await filters.getByRole('link', { name: 'Open' }).click();
  await expect(list.getByRole('link')).toHaveCount(1);
  await expect(list.getByRole('link').first()).toContainText('Also, can I change my address?');
  await filters.getByRole('link', { name: 'Waiting' }).click();
  await expect(list.getByRole('link')).toHaveCount(1);
  await expect(list.getByRole('link').first()).toContainText('Waiting for an operator');
  await filters.getByRole('link', { name: 'All' }).click();
  await expect(list.getByRole('link')).toHaveCount(2);
  // The customer sees it appear; the first one stays open.
  await expect(tabs.getByRole('tab')).toHaveCount(2);
  await expect(tabs.getByRole('tab', { name: /Conversation 1 · Waiting for an operator/ })).toBeVisible();
  await expect(tabs.getByRole('tab', { name: /Conversation 2 · Open/ })).toBeVisible();

  // 2. At the limit (2 open): the keyboard-reachable "⋯" button shows the item disabled, with the reason.
  const only = thread.getByRole('listitem').first();
  await only.getByRole('button', { name: 'Message actions' }).focus();
  await op.keyboard.press('Enter');
  await expect(menu.getByRole('menuitem', { name: 'Start new conversation' })).toBeDisabled();
  await expect(menu).toContainText("Not available: the customer has reached the channel's limit of simultaneous conversations.");
  await op.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);

  // 3. One chat at a time: long-press → the current conversation closes and a new one opens.
  await setMultiChat(admin, id, null);
  await box.fill('A third matter');
  await box.press('Enter');
  await list.getByRole('link').filter({ hasText: 'A third matter' }).click();
  const third = thread.getByRole('listitem').filter({ hasText: 'A third matter' });
  await expect(third).toBeVisible();
  const b = (await third.boundingBox())!;
  await op.mouse.move(b.x + 20, b.y + b.height / 2);
  await op.mouse.down();
  await expect(menu).toBeVisible();
  await op.mouse.up();
  await expect(menu).toContainText('This conversation will be closed and a new one opened');
  await op.screenshot({ path: 'test-results/screens/inbox-menu.png', fullPage: true });
  await menu.getByRole('menuitem', { name: 'Start new conversation' }).click();
  await expect(list.getByRole('link')).toHaveCount(3);
  await expect(thread.getByRole('listitem')).toHaveCount(1);
  await expect(thread).toContainText('A third matter');
  await expect(tabs.getByRole('tab')).toHaveCount(1);
  await tabs.getByText('Previous conversations (2)').click();
  await expect(tabs.getByRole('link')).toHaveCount(2);
  await expect(tabs.getByRole('link', { name: /Conversation 2 · Closed/ })).toBeVisible();
  await expect(tabs.getByRole('link', { name: /Conversation 1 · Closed/ })).toBeVisible();

  // 4. From the operator's own message too ("a message to or from the customer"): the new
  // conversation starts with that message, by the operator, and the customer sees it.
  await op.getByLabel('Reply').fill('About the invoice: it is corrected now.');
  await op.getByLabel('Reply').press('Enter');
  const own = thread.getByRole('listitem').filter({ hasText: 'About the invoice: it is corrected now.' });
  // Stored: "Sent", or already "Read" when the customer's open page saw it at once (the
  // state can pass from "Sending…" to "Read" between two looks).
  await expect(own).toContainText(/Sent|Read/);
  await own.click({ button: 'right' });
  await expect(menu.getByRole('menuitem', { name: 'Start new conversation' })).toBeEnabled();
  await menu.getByRole('menuitem', { name: 'Start new conversation' }).click();
  await expect(list.getByRole('link')).toHaveCount(4);
  await expect(thread.getByRole('listitem')).toHaveCount(1);
  await expect(thread.getByRole('listitem').first()).toContainText('About the invoice: it is corrected now.');
  await expect(thread.getByRole('listitem').first()).toContainText('You');
  await expect(tabs.getByRole('tab')).toHaveCount(1);
  await tabs.getByRole('tab', { name: /Conversation 4 · Open/ }).click();
  await expect(customer.getByRole('list', { name: 'Messages' }).getByRole('listitem')).toHaveCount(1);
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('About the invoice: it is corrected now.');
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('an admin sets the queue: distribution and capacity, with errors next to the fields', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, admin } = await channelWithOperator(browser, id);
  await admin.goto(`/a/acme-${id}/contact-center`);
  const queue = admin.getByRole('group', { name: `Queue of Help ${id}` });
  await expect(queue.getByLabel('Max simultaneous conversations per operator')).toHaveValue('20');
  await queue.getByLabel('Distribution').selectOption({ label: 'Evenly (to the least-loaded online operator)' });
  await queue.getByLabel('Max simultaneous conversations per operator').fill('0');
  await admin.getByRole('button', { name: 'Save queue' }).click();
  await expect(admin.getByRole('group', { name: `Queue of Help ${id}` }).getByText('Enter a number from 1 to 500.')).toBeVisible();
  await admin.getByRole('group', { name: `Queue of Help ${id}` }).getByLabel('Max simultaneous conversations per operator').fill('3');
  await admin.getByRole('group', { name: `Queue of Help ${id}` }).getByLabel('Distribution').selectOption('even');
  await admin.getByRole('button', { name: 'Save queue' }).click();
  await expect(admin.getByText('Queue settings saved.')).toBeVisible();
  await expect(admin.getByRole('group', { name: `Queue of Help ${id}` }).getByLabel('Distribution')).toHaveValue('even');
  await expect(admin.getByRole('group', { name: `Queue of Help ${id}` }).getByLabel('Max simultaneous conversations per operator')).toHaveValue('3');
  await Promise.all([adminCtx.close(), opCtx.close()]);
});

test('an operator transfers a conversation to another operator of the channel, who sees it as theirs', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, admin, path } = await channelWithOperator(browser, id);
  // The admin joins the queue too.
  await admin.goto(`/a/acme-${id}/contact-center`);
  await admin.getByRole('group', { name: `Operators of Help ${id}` }).getByLabel(`Admin ${id}`).check();
  await admin.getByRole('button', { name: 'Save operators' }).click();
  await expect(admin.getByText('Operators saved.')).toBeVisible();
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Please pass me to your manager');
  await box.press('Enter');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
  await op.getByLabel('Reply').fill('One moment, transferring you.');
  await op.getByLabel('Reply').press('Enter');
  const pane = op.getByRole('region', { name: 'Conversation' });
  await expect(pane).toContainText('Yours');
  await op.getByLabel('Transfer to').selectOption({ label: `Admin ${id}` });
  await op.getByRole('button', { name: 'Transfer', exact: true }).click();
  await expect(pane).toContainText(`Open · Assigned to Admin ${id}`);
  // No longer Olek's: Finish and Transfer are gone from his screen.
  await expect(pane.getByRole('button', { name: 'Finish' })).toHaveCount(0);
  await expect(pane.getByLabel('Transfer to')).toHaveCount(0);

  await admin.goto(`/a/acme-${id}/inbox?f=mine`);
  await hydrated(admin);
  const mine = admin.getByRole('list', { name: 'Conversations' }).getByRole('link');
  await expect(mine).toHaveCount(1);
  await expect(mine.first()).toContainText('Yours');
  await mine.first().click();
  await admin.getByLabel('Reply').fill('Manager here.');
  await admin.getByLabel('Reply').press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Manager here.');
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('the inbox pages a long history: older messages load on request', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Message number zero');
  await box.press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Sent');
  const href = await customer.getByRole('tablist', { name: 'Open conversations' }).getByRole('tab').first().getAttribute('href');
  const conv = href!.replace('?c=', '');
  for (let i = 1; i <= 60; i++) {
    const r = await opCtx.request.post('/api/operator_reply', {
      form: { slug: `acme-${id}`, conversation: conv, client_id: `page-${id}-${i}`, body: `Answer ${i}` },
    });
    expect(r.ok()).toBeTruthy();
  }
  await op.goto(`/a/acme-${id}/inbox?c=${conv}`);
  await hydrated(op);
  const thread = op.getByRole('list', { name: 'Messages' });
  await expect(thread.getByRole('listitem')).toHaveCount(50);
  await expect(thread).toContainText('Answer 60');
  await expect(thread).not.toContainText('Message number zero');
  await op.getByRole('button', { name: 'Load older messages' }).click();
  await expect(thread.getByRole('listitem')).toHaveCount(62);
  await expect(thread.getByRole('listitem').first()).toContainText('Dzień dobry! How can we help?');
  await expect(thread).toContainText('Message number zero');
  await expect(op.getByRole('button', { name: 'Load older messages' })).toHaveCount(0);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('desktop notifications are asked for from a button and announce new conversations while the operator looks elsewhere', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  // Records the notifications the page creates, and makes the operator "look elsewhere".
  await opCtx.addInitScript(() => {
    const Real = window.Notification;
    const notes: { title: string; body?: string }[] = [];
    class Recorded extends Real {
      constructor(title: string, opts?: NotificationOptions) {
        super(title, opts);
        notes.push({ title, body: opts?.body });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    (Recorded as any).requestPermission = () => Real.requestPermission();
    (window as any).Notification = Recorded;
    (window as any).__notes = notes;
    document.hasFocus = () => false;
  });
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const turnOn = op.getByRole('button', { name: 'Turn on desktop notifications' });
  await expect(turnOn).toBeVisible();
  await opCtx.grantPermissions(['notifications']);
  await turnOn.click();
  await expect(op.getByRole('status').filter({ hasText: 'Desktop notifications are on' })).toBeVisible();
  await expect(turnOn).toHaveCount(0);

  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Is anyone there?');
  await box.press('Enter');
  await expect(op.getByRole('list', { name: 'Conversations' }).getByRole('link')).toHaveCount(1);
  await expect.poll(() => op.evaluate(() => (window as any).__notes)).toEqual([
    { title: `New conversation: Cleo ${id}`, body: `Borealis ${id} · Help ${id}\nIs anyone there?` },
  ]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('switching conversations and filters shows that they load, and a slow answer for an earlier click is dropped', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const first = await customerOnChat(browser, id, path);
  await first.page.getByLabel('Message', { exact: true }).fill('First customer here');
  await first.page.getByLabel('Message', { exact: true }).press('Enter');
  const second = await customerOnChat(browser, `${id}b`, path);
  await second.page.getByLabel('Message', { exact: true }).fill('Second customer here');
  await second.page.getByLabel('Message', { exact: true }).press('Enter');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  const list = op.getByRole('list', { name: 'Conversations' });
  await expect(list.getByRole('link')).toHaveCount(2);
  // The answer for the first click is held back until the second click was answered.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let calls = 0;
  await op.route('**/api/inbox_conversation*', async (route) => {
    calls += 1;
    if (calls === 1) await held;
    await route.continue();
  });
  const pane = op.getByRole('region', { name: 'Conversation' });
  await list.getByRole('link').filter({ hasText: 'Second customer here' }).click();
  const opening = pane.getByRole('status').filter({ hasText: 'Opening the conversation…' });
  await expect(opening).toBeVisible();
  await expect(pane).toHaveAttribute('aria-busy', 'true');
  await list.getByRole('link').filter({ hasText: 'First customer here' }).click();
  const messages = pane.getByRole('list', { name: 'Messages' });
  await expect(messages).toContainText('First customer here');
  await expect(opening).toHaveCount(0);
  await expect(pane).toHaveAttribute('aria-busy', 'false');
  const late = op.waitForResponse((r) => r.url().includes('/api/inbox_conversation'));
  release();
  await late;
  // The late answer (the first click's) does not replace what the operator now reads.
  await op.waitForTimeout(300);
  await expect(messages).toContainText('First customer here');
  await expect(messages).not.toContainText('Second customer here');

  // A filter's list loads with a visible state too.
  await op.route('**/api/inbox_more*', async (route) => {
    await new Promise((r) => setTimeout(r, 700));
    await route.continue();
  });
  const listLoading = op.getByRole('status').filter({ hasText: 'Loading…' });
  await op.getByRole('navigation', { name: 'Filters' }).getByRole('link', { name: 'Closed' }).click();
  await expect(listLoading).toBeVisible();
  await expect(list).toHaveAttribute('aria-busy', 'true');
  await expect(op.getByText('No conversations here.')).toBeVisible();
  await expect(list).toHaveAttribute('aria-busy', 'false');
  await expect(listLoading).toHaveCount(0);
  await Promise.all([adminCtx.close(), opCtx.close(), first.ctx.close(), second.ctx.close()]);
});

test('a conversation that starts while the inbox is disconnected shows up when it reconnects, without a reload', async ({ browser, consoleErrors }) => {
  const id = uniq();
  const { opCtx, op, path } = await channelWithOperator(browser, id);
  // While offline the browser logs its failed reconnection attempts.
  consoleErrors.allow(/WebSocket|ERR_INTERNET_DISCONNECTED/);
  // Lets the test cut the page's live connection, as a flaky network would.
  await opCtx.addInitScript(() => {
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
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await expect(op.getByText('No conversations here.')).toBeVisible();
  await op.evaluate(() => ((window as any).__sameDocument = true));

  // The operator's network drops; meanwhile a customer starts a conversation.
  await opCtx.setOffline(true);
  await op.evaluate(() => (window as any).__dropSockets());
  await expect(op.getByText('You are offline. What you write is kept and sent when you are back online.')).toBeVisible();
  const { page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Anyone there? My order is stuck');
  await box.press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'My order is stuck' })).toContainText('Sent');

  // Back online: the list catches up by itself, in the same document.
  await opCtx.setOffline(false);
  const item = op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(item).toContainText('My order is stuck', { timeout: 40_000 });
  await expect(op.getByText('You are offline. What you write is kept and sent when you are back online.')).toHaveCount(0);
  expect(await op.evaluate(() => (window as any).__sameDocument)).toBe(true);
  await op.screenshot({ path: 'test-results/inbox-caught-up.png' });
  await item.click();
  await expect(op.getByRole('list', { name: 'Messages' })).toContainText('Anyone there? My order is stuck');
});
