import { test, expect, Browser, BrowserContext, Page } from './fixtures';
import { channelWithOperator as setup, customerOnChat, hydrated, newContext, uniq, watchConsole } from './helpers';

/**
 * The client is split (scripts/build-site): the customer's chat page loads only
 * the main part of the wasm; every other page's code is a part of its own, fetched when
 * that page is opened. `make bench` runs this spec against the release build and prints
 * the chat page's weight on the wire (`BUNDLE_REPORT=1`).
 */

type Loaded = { url: string; bytes: number };

/** A page in a fresh context (empty cache) signed in as `ctx` is. */
async function freshPage(browser: Browser, ctx: BrowserContext): Promise<Page> {
  const fresh = await newContext(browser, { storageState: await ctx.storageState() });
  return fresh.newPage();
}

/** Records what the page fetched, with the bytes received for each (as sent: compressed). */
function recordLoads(page: Page): Loaded[] {
  const loads: Loaded[] = [];
  page.on('requestfinished', async (r) => {
    const sizes = await r.sizes();
    loads.push({ url: new URL(r.url()).pathname, bytes: sizes.responseBodySize });
  });
  return loads;
}

const isWasm = (l: Loaded) => l.url.endsWith('.wasm');
const isAsset = (l: Loaded) => /\.(wasm|js|css)$/.test(l.url);

test('the chat page loads only the main part of the client; the inbox loads its own part when opened', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, path } = await setup(browser, id);

  const { ctx: custCtx, page: cust } = await customerOnChat(browser, id, path);
  const chatUrl = new URL(cust.url()).pathname;

  // The chat page opened directly, with an empty cache.
  const chat = await freshPage(browser, custCtx);
  const errors = watchConsole(chat);
  const loads = recordLoads(chat);
  await chat.goto(chatUrl);
  await hydrated(chat);
  await chat.getByLabel('Message', { exact: true }).fill('Hello from a fresh page');
  await chat.getByRole('button', { name: 'Send', exact: true }).click();
  const mine = chat.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'Hello from a fresh page' });
  await expect(mine).toContainText('Sent');
  await chat.waitForLoadState('networkidle');
  const wasm = loads.filter(isWasm).map((l) => l.url);
  expect(wasm).toEqual(['/pkg/netlines.wasm']);
  const bytes = loads.filter(isAsset).reduce((n, l) => n + l.bytes, 0);
  if (process.env.BUNDLE_REPORT) {
    for (const l of loads.filter(isAsset)) console.log(`bundle_asset ${l.url} ${l.bytes} B`);
    console.log(`bundle_chat_page_bytes ${bytes} (wasm + js + css as received)`);
  }
  expect(errors).toEqual([]);

  // The operator's inbox, opened directly: the main part plus the inbox's own part,
  // loaded before the page hydrates; the page then works live.
  const inbox = await freshPage(browser, opCtx);
  const inboxErrors = watchConsole(inbox);
  const inboxLoads = recordLoads(inbox);
  await inbox.goto(`/a/acme-${id}/inbox`);
  await hydrated(inbox);
  const item = inbox.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) });
  await expect(item).toContainText('Hello from a fresh page');
  // Live: the customer's next message reaches the inbox that was split.
  await chat.getByLabel('Message', { exact: true }).fill('And a second one');
  await chat.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(item).toContainText('And a second one');
  await inbox.waitForLoadState('networkidle');
  const inboxWasm = inboxLoads.filter(isWasm).map((l) => l.url);
  expect(inboxWasm).toContain('/pkg/netlines.wasm');
  expect(inboxWasm.some((u) => u.includes('inbox_route_view'))).toBe(true);
  expect(inboxErrors).toEqual([]);
  for (const c of [adminCtx, opCtx, custCtx, chat.context(), inbox.context()]) await c.close();
});
