import { test, expect, Page } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, newContext, setMultiChat, uniq } from './helpers';

/**
 * Cuts the page's live connection while the network stays up, as a proxy that drops
 * WebSockets would: from the reload this does, every socket the page opens fails (it
 * is pointed at an address with no socket behind it). The returned function lets the next attempt through
 * (and says "online", so the page tries at once instead of after its backoff).
 */
async function cutSockets(page: Page): Promise<() => Promise<void>> {
  await page.context().addInitScript(() => {
    const Orig = window.WebSocket;
    class Cut extends Orig {
      constructor(url: string | URL, protocols?: string | string[]) {
        const cut = sessionStorage.getItem('__cutSockets');
        super(cut ? String(url).replace('/ws', '/ws-cut') : url, protocols);
      }
    }
    (window as any).WebSocket = Cut;
  });
  await page.evaluate(() => sessionStorage.setItem('__cutSockets', '1'));
  await page.reload();
  await hydrated(page);
  return async () => {
    await page.evaluate(() => {
      sessionStorage.removeItem('__cutSockets');
      window.dispatchEvent(new Event('online'));
    });
  };
}

/** What the page keeps on the device for unsent messages. */
async function keptOutboxes(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('netlines.outbox.'))
      .map((k) => localStorage.getItem(k) ?? ''),
  );
}

test('offline, the customer writes with Enter and with Send: the words stay on the page and leave once when the network is back', async ({ browser, consoleErrors }) => {
  // While offline the browser logs its failed reconnection attempts.
  consoleErrors.allow(/WebSocket|ERR_INTERNET_DISCONNECTED/);
  const id = uniq();
  const { adminCtx, opCtx, path } = await channelWithOperator(browser, id);
  const { ctx, page } = await customerOnChat(browser, id, path);
  await page.setViewportSize({ width: 1280, height: 800 });
  const box = page.getByLabel('Message', { exact: true });
  const messages = page.getByRole('list', { name: 'Messages' });
  await box.fill('Hello before the tunnel');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Hello before the tunnel' })).toContainText('Sent');
  const url = page.url();

  await ctx.setOffline(true);
  const offline = page.getByRole('status').filter({ hasText: 'You are offline. What you write is kept and sent when you are back online.' });
  await expect(offline).toBeVisible();
  await box.fill('Written offline with Enter');
  await box.press('Enter');
  await box.fill('Written offline with Send');
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  // Both are on the page as pending; the page did not go anywhere and the box is empty.
  for (const text of ['Written offline with Enter', 'Written offline with Send']) {
    await expect(messages.getByRole('listitem').filter({ hasText: text })).toContainText('Sending…');
  }
  await expect(box).toHaveValue('');
  expect(page.url()).toBe(url);
  await page.screenshot({ path: 'test-results/screens/chat-offline-desktop.png' });
  expect((await keptOutboxes(page)).join()).toContain('Written offline with Send');

  await ctx.setOffline(false);
  for (const text of ['Written offline with Enter', 'Written offline with Send']) {
    await expect(messages.getByRole('listitem').filter({ hasText: text })).toContainText('Sent');
  }
  await expect(offline).toHaveCount(0);
  expect(await keptOutboxes(page)).toEqual([]);
  // Stored once each, in the order written: what the server renders after a reload.
  await page.reload();
  await hydrated(page);
  const texts = await messages.getByRole('listitem').allInnerTexts();
  const order = ['Hello before the tunnel', 'Written offline with Enter', 'Written offline with Send'].map((t) =>
    texts.findIndex((x) => x.includes(t)),
  );
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  for (const t of ['Written offline with Enter', 'Written offline with Send']) {
    expect(texts.filter((x) => x.includes(t))).toHaveLength(1);
  }
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});

test('with only the live connection down, unsent messages and the draft survive a reload and are delivered once', async ({ browser, consoleErrors }) => {
  consoleErrors.allow(/WebSocket/);
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx, page } = await customerOnChat(browser, id, path);
  const box = page.getByLabel('Message', { exact: true });
  const messages = page.getByRole('list', { name: 'Messages' });
  await box.fill('First question');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'First question' })).toContainText('Sent');

  const unblock = await cutSockets(page);
  const reconnecting = page.getByRole('status').filter({ hasText: 'Connection lost: reconnecting…' });
  await expect(reconnecting).toBeVisible();
  await box.fill('Kept across a reload');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Kept across a reload' })).toContainText('Sending…');
  await box.fill('A draft not sent yet');
  await page.reload();
  await hydrated(page);
  // After the reload: the unsent message is still there, pending, and so is the draft.
  await expect(messages.getByRole('listitem').filter({ hasText: 'Kept across a reload' })).toContainText('Sending…');
  await expect(box).toHaveValue('A draft not sent yet');

  await unblock();
  await expect(messages.getByRole('listitem').filter({ hasText: 'Kept across a reload' })).toContainText('Sent', { timeout: 40_000 });
  await expect(reconnecting).toHaveCount(0);
  // The operator gets it once.
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const thread = op.getByRole('list', { name: 'Messages' });
  await expect(thread.getByRole('listitem').filter({ hasText: 'Kept across a reload' })).toHaveCount(1);
  await expect(thread.getByRole('listitem').filter({ hasText: 'A draft not sent yet' })).toHaveCount(0);
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});

test('the operator’s reply written while the inbox is disconnected survives a reload and reaches the customer once', async ({ browser, consoleErrors }) => {
  consoleErrors.allow(/WebSocket/);
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx, page } = await customerOnChat(browser, id, path);
  const box = page.getByLabel('Message', { exact: true });
  await box.fill('Is anyone there?');
  await box.press('Enter');
  const customerThread = page.getByRole('list', { name: 'Messages' });
  await expect(customerThread.getByRole('listitem').filter({ hasText: 'Is anyone there?' })).toContainText('Sent');

  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const thread = op.getByRole('list', { name: 'Messages' });
  await expect(thread).toContainText('Is anyone there?');
  const conversationUrl = op.url();
  const unblock = await cutSockets(op);
  await expect(op.getByRole('status').filter({ hasText: 'Connection lost: reconnecting…' })).toBeVisible();
  const reply = op.getByLabel('Reply', { exact: true });
  await reply.fill('Yes, we are here');
  await reply.press('Enter');
  await expect(thread.getByRole('listitem').filter({ hasText: 'Yes, we are here' })).toContainText('Sending…');
  await op.reload();
  await hydrated(op);
  expect(op.url()).toBe(conversationUrl);
  await expect(thread.getByRole('listitem').filter({ hasText: 'Yes, we are here' })).toContainText('Sending…');

  await unblock();
  await expect(thread.getByRole('listitem').filter({ hasText: 'Yes, we are here' })).not.toContainText('Sending…', { timeout: 40_000 });
  await expect(customerThread.getByRole('listitem').filter({ hasText: 'Yes, we are here' })).toHaveCount(1);
  await page.reload();
  await expect(customerThread.getByRole('listitem').filter({ hasText: 'Yes, we are here' })).toHaveCount(1);
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});

test('the connection state is shown in Polish on a phone, and signing out forgets what waits on the device', async ({ browser, consoleErrors }) => {
  consoleErrors.allow(/WebSocket|ERR_INTERNET_DISCONNECTED/);
  const id = uniq();
  const { adminCtx, opCtx, path } = await channelWithOperator(browser, id);
  const { ctx, page } = await customerOnChat(browser, id, path);
  await ctx.close();
  // The same person on a Polish phone.
  const phone = await newContext(browser, { locale: 'pl-PL', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  await p.goto('/login');
  await p.getByLabel('E-mail', { exact: true }).fill(`cleo-${id}@example.com`);
  await p.getByLabel('Hasło', { exact: true }).fill('correct horse battery');
  await p.getByRole('button', { name: 'Zaloguj się' }).click();
  await p.goto(path);
  await p.getByRole('link', { name: `Pisz z konta Borealis ${id}` }).click();
  await hydrated(p);
  const box = p.getByLabel('Wiadomość', { exact: true });
  await phone.setOffline(true);
  const offline = p.getByRole('status').filter({ hasText: 'Jesteś offline. To, co napiszesz, zostanie zachowane i wysłane po powrocie sieci.' });
  await expect(offline).toBeVisible();
  await box.fill('Napisane bez sieci');
  await box.press('Enter');
  const mine = p.getByRole('list', { name: 'Wiadomości' }).getByRole('listitem').filter({ hasText: 'Napisane bez sieci' });
  await expect(mine).toContainText('Wysyłanie…');
  await expect(offline).toBeInViewport();
  await p.screenshot({ path: 'test-results/screens/chat-offline-phone-pl.png' });
  expect(await keptOutboxes(p)).toHaveLength(1);
  await phone.setOffline(false);
  await expect(offline).toHaveCount(0);
  await expect(mine).toContainText('Wysłano');

  // A message that cannot leave yet and a draft, then sign-out: nothing of either
  // stays on the device for the next person.
  await cutSockets(p);
  await box.fill('Nie zostawiaj mnie tutaj');
  await box.press('Enter');
  await expect(p.getByRole('list', { name: 'Wiadomości' }).getByRole('listitem').filter({ hasText: 'Nie zostawiaj mnie tutaj' })).toContainText('Wysyłanie…');
  await box.fill('Szkic');
  const kept = () => p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('netlines.outbox.') || k.startsWith('netlines.draft.')));
  expect(await kept()).toHaveLength(2);
  await p.getByRole('button', { name: 'Wyloguj się' }).click();
  await expect(p.getByRole('link', { name: 'Zaloguj się' }).first()).toBeVisible();
  expect(await kept()).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), phone.close()]);
});

for (const size of [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
]) {
  test(`on a ${size.name}, the chat is one screen: the newest reply and the composer are in view, and it reopens at the newest message`, async ({ browser }) => {
    const id = uniq();
    const { adminCtx, opCtx, path } = await channelWithOperator(browser, id);
    const { ctx, page } = await customerOnChat(browser, id, path);
    await page.setViewportSize({ width: size.width, height: size.height });
    const box = page.getByLabel('Message', { exact: true });
    const messages = page.getByRole('list', { name: 'Messages' });
    for (let i = 1; i <= 4; i++) {
      await box.fill(`Question ${i}: ${'a longer line of text '.repeat(3)}`);
      await box.press('Enter');
      await expect(messages.getByRole('listitem').filter({ hasText: `Question ${i}:` })).toContainText('Sent');
    }
    const href = await page.getByRole('tablist', { name: 'Open conversations' }).getByRole('tab').first().getAttribute('href');
    const conversation = href!.replace('?c=', '');
    for (let i = 1; i <= 3; i++) {
      const res = await opCtx.request.post('/api/operator_reply', {
        form: { slug: `acme-${id}`, conversation, client_id: `reply-${i}-${id}`, body: `Reply number ${i}` },
      });
      expect(res.ok()).toBeTruthy();
    }
    const newest = messages.getByRole('listitem').filter({ hasText: 'Reply number 3' });
    await expect(newest).toBeInViewport();
    await expect(box).toBeInViewport();
    await expect(page.getByRole('button', { name: 'Send', exact: true })).toBeInViewport();
    // The page itself does not scroll: only the thread does.
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight + 1)).toBe(true);
    await page.screenshot({ path: `test-results/screens/chat-three-replies-${size.name}.png` });
    // Scrolled up to read: a new reply does not pull the thread down; a pill says so.
    await messages.evaluate((el) => (el.scrollTop = 0));
    await opCtx.request.post('/api/operator_reply', {
      form: { slug: `acme-${id}`, conversation, client_id: `reply-4-${id}`, body: 'Reply number 4' },
    });
    const pill = page.getByRole('button', { name: 'New messages ↓' });
    await expect(pill).toBeVisible();
    const fourth = messages.getByRole('listitem').filter({ hasText: 'Reply number 4' });
    await expect(fourth).not.toBeInViewport();
    await pill.click();
    await expect(fourth).toBeInViewport();
    await expect(pill).toHaveCount(0);
    // Opened again, it starts at the newest message.
    await page.reload();
    await hydrated(page);
    await expect(fourth).toBeInViewport();
    await expect(box).toBeInViewport();
    await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
  });
}

test('web addresses in messages are links on both sides; other schemes stay text', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx, page } = await customerOnChat(browser, id, path);
  const box = page.getByLabel('Message', { exact: true });
  await box.fill('Order: https://shop.example.test/order?id=5. Not this: javascript:alert(1)');
  await box.press('Enter');
  const mine = page.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'Order:' });
  await expect(mine).toContainText('Sent');
  const link = mine.getByRole('link', { name: 'https://shop.example.test/order?id=5' });
  await expect(link).toHaveAttribute('href', 'https://shop.example.test/order?id=5');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  await expect(mine.getByRole('link')).toHaveCount(1);
  // The operator sees the same link, drawn by the server and after hydration alike.
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const theirs = op.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'Order:' });
  await expect(theirs.getByRole('link', { name: 'https://shop.example.test/order?id=5' })).toHaveAttribute('target', '_blank');
  await page.reload();
  await expect(mine.getByRole('link', { name: 'https://shop.example.test/order?id=5' })).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});

test('at the channel’s limit of simultaneous conversations the customer sees why a new one cannot start, and nothing is lost', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, admin, path } = await channelWithOperator(browser, id);
  await setMultiChat(admin, id, '2');
  const { ctx, page } = await customerOnChat(browser, id, path);
  const box = page.getByLabel('Message', { exact: true });
  const messages = page.getByRole('list', { name: 'Messages' });
  const start = page.getByRole('button', { name: 'Start a new conversation' });
  const tabs = page.getByRole('tablist', { name: 'Open conversations' });
  await box.fill('First question');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'First question' })).toContainText('Sent');
  await expect(start).toBeEnabled();
  await expect(page.getByText('Simultaneous conversations allowed: 2')).toBeVisible();
  await box.fill('Second question');
  await start.click();
  await expect(tabs.getByRole('tab')).toHaveCount(2);
  await expect(messages.getByRole('listitem').filter({ hasText: 'Second question' })).toContainText('Sent');
  // At the limit: the control is off and says why, before anything is written.
  await expect(start).toBeDisabled();
  const reason = 'The limit of simultaneous conversations is reached: finish one to start another.';
  await expect(page.getByText(reason)).toBeVisible();
  await expect(start).toHaveAccessibleDescription(reason);
  await page.screenshot({ path: 'test-results/screens/chat-at-limit.png' });
  // Ordinary messages into an open conversation still go.
  await box.fill('Still here');
  await box.press('Enter');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Still here' })).toContainText('Sent');
  // Finishing one makes room again.
  await page.getByRole('button', { name: 'Finish this conversation' }).click();
  await expect(tabs.getByRole('tab')).toHaveCount(1);
  await expect(start).toBeEnabled();
  // At the limit again, writing in the finished one (which would start a new one) is
  // refused on the page: the reason is shown, the text stays in the box, nothing is sent.
  await hydrated(page);
  await box.fill('Third question');
  await start.click();
  await expect(tabs.getByRole('tab')).toHaveCount(2);
  await expect(start).toBeDisabled();
  const finished = page.getByRole('link', { name: /Conversation \d · Closed/, includeHidden: true });
  await page.goto(new URL(page.url()).pathname + (await finished.getAttribute('href')));
  await hydrated(page);
  await expect(page.getByText('This conversation is closed. Writing again starts a new conversation.')).toBeVisible();
  await box.fill('Written in the finished one');
  await box.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'You have reached the limit of simultaneous conversations with this channel.' })).toBeVisible();
  await expect(box).toHaveValue('Written in the finished one');
  await expect(messages.getByRole('listitem').filter({ hasText: 'Written in the finished one' })).toHaveCount(0);
  await Promise.all([adminCtx.close(), opCtx.close(), ctx.close()]);
});
