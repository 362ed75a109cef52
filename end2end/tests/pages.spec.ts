import { test, expect, Page } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import { channelWithOperator, customerOnChat, hydrated, newContext, uniq } from './helpers';

// Every page, as people see it: at a phone's width (390 × 844) and a laptop's
// (1280 × 800), in English and Polish. For each: a screenshot to look at
// (test-results/screens/pages/), the document never wider than the viewport, and axe-core
// finding no serious or critical WCAG 2.2 AA violation.

const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
];

async function setLang(page: Page, lang: 'en' | 'pl') {
  const url = test.info().project.use.baseURL!;
  await page.context().addCookies([{ name: 'netlines_lang', value: lang, url }]);
}

/** The elements that stick out of the viewport on the right, widest first (for the message). */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window.innerWidth;
    return Array.from(document.querySelectorAll('body *'))
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.right > w + 1 && r.width > 0)
      .sort((a, b) => b.r.right - a.r.right)
      .slice(0, 6)
      .map(({ e, r }) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')} → ${Math.round(r.right)}px`);
  });
}

/** How many rows the visible items of `selector` are laid out in (0 when it is absent). */
async function rows(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const box = document.querySelector(sel);
    if (!box) return 0;
    const tops = Array.from(box.querySelectorAll('a, button, select, .who, .account-name'))
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => r.top + r.height / 2)
      .sort((a, b) => a - b);
    // Items whose middles are within 12 px of the row's first share that row.
    let count = 0;
    let rowStart = -Infinity;
    for (const t of tops) {
      if (t - rowStart > 12) {
        count += 1;
        rowStart = t;
      }
    }
    return count;
  }, selector);
}

/** Checks the page open in `page` at every size, in its current language. */
async function check(page: Page, name: string, lang: string) {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    // Times are redrawn in the viewer's zone once the page runs (never the server's UTC).
    await expect(page.locator('time', { hasText: 'UTC' })).toHaveCount(0);
    const { doc, view } = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      view: window.innerWidth,
    }));
    const culprits = doc > view ? (await overflowing(page)).join('; ') : '';
    expect.soft(doc, `${name} (${lang}, ${size.name}) is ${doc}px wide in a ${view}px viewport: ${culprits}`).toBeLessThanOrEqual(view);
    // The header takes at most two rows (brand and language, then the sections), the
    // account's sections at most two, on a phone too.
    expect.soft(await rows(page, 'header.topbar'), `${name} (${lang}, ${size.name}): header rows`).toBeLessThanOrEqual(2);
    expect.soft(await rows(page, 'nav.account-nav'), `${name} (${lang}, ${size.name}): account rows`).toBeLessThanOrEqual(2);
    await page.screenshot({ path: `test-results/screens/pages/${name}-${lang}-${size.name}.png`, fullPage: true });
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
    const bad = axe.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
    expect.soft(bad, `${name} (${lang}, ${size.name})`).toEqual([]);
  }
}

async function visit(page: Page, path: string, name: string, lang: string, opts: { hydrate?: boolean } = {}) {
  await page.goto(path);
  if (opts.hydrate !== false) await hydrated(page);
  await check(page, name, lang);
}

test('every page fits a phone and a desktop, in both languages, without serious accessibility violations', async ({ browser, consoleErrors }) => {
  test.setTimeout(300_000);
  // The 404 page is answered with 404, which the browser logs.
  consoleErrors.allow(/status of 404/);
  const id = uniq();
  const { adminCtx, opCtx, admin, op, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('A long first message to see how previews wrap: ' + 'zażółć gęślą jaźń '.repeat(12));
  await box.press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('Sent');
  const convHref = await customer.getByRole('tablist', { name: 'Open conversations' }).getByRole('tab').first().getAttribute('href');
  const conv = convHref!.replace('?c=', '');
  const chatPath = new URL(customer.url()).pathname;
  await admin.goto(`/a/acme-${id}/contact-center/network`);
  const settingsHref = await admin.getByRole('link', { name: /Settings/ }).first().getAttribute('href');
  const channelId = settingsHref!.split('/').pop();
  const visitor = await (await newContext(browser)).newPage();
  // The admin joins the queue too, so the queue's order shows.
  await admin.goto(`/a/acme-${id}/contact-center`);
  await admin.getByRole('group', { name: `Operators of Help ${id}` }).getByLabel(`Admin ${id}`).check();
  await admin.getByRole('button', { name: 'Save operators' }).click();
  await expect(admin.getByText('Operators saved.')).toBeVisible();
  await admin.goto(`/a/acme-${id}/contact-center/quick-answers`);
  await admin.getByRole('textbox', { name: 'Title', exact: true }).fill('Greeting');
  await admin.getByRole('textbox', { name: 'Text', exact: true }).fill('Dzień dobry, {customer_name}! ' + 'zażółć gęślą jaźń '.repeat(8));
  await admin.getByRole('button', { name: 'Add quick answer' }).click();
  await expect(admin.getByText('Quick answer added.')).toBeVisible();
  // An OAuth app, with one member who allowed it.
  await admin.goto(`/a/acme-${id}/apps`);
  await admin.getByLabel('App name').fill('Invoice helper — faktury');
  await admin.getByLabel('Handler URL').fill('https://invoices.example/bitrix24/handler');
  await admin.getByRole('button', { name: 'Register app' }).click();
  const clientId = await admin.getByLabel('client_id').inputValue();

  for (const lang of ['en', 'pl'] as const) {
    for (const p of [admin, op, customer, visitor]) await setLang(p, lang);
    // Signed out.
    await visit(visitor, '/', 'home', lang);
    await visit(visitor, '/login', 'login', lang);
    await visit(visitor, '/register', 'register', lang);
    await visit(visitor, path, 'link-signed-out', lang);
    await visit(visitor, '/no/such/page', 'not-found', lang);
    // The admin's pages.
    await visit(admin, '/network', 'my-accounts', lang);
    await visit(admin, '/accounts/new', 'new-account', lang);
    await visit(admin, `/a/acme-${id}`, 'members', lang);
    await visit(admin, `/a/acme-${id}/contact-center`, 'contact-center', lang);
    await visit(admin, `/a/acme-${id}/contact-center/network`, 'network-channels', lang);
    await visit(admin, `/a/acme-${id}/contact-center/network/connect`, 'connect', lang);
    await visit(admin, `/a/acme-${id}/contact-center/network/settings/${channelId}`, 'channel-settings', lang);
    await visit(admin, `/a/acme-${id}/contact-center/network/disconnect/${channelId}`, 'disconnect', lang);
    await visit(admin, `/a/acme-${id}/contact-center/network/hours/${channelId}`, 'hours', lang);
    await visit(admin, `/a/acme-${id}/statistics`, 'statistics', lang);
    await visit(admin, '/profile', 'profile', lang);
    await visit(admin, `/a/acme-${id}/contact-center/quick-answers`, 'quick-answers', lang);
    await visit(admin, `/a/acme-${id}/apps`, 'apps', lang);
    await visit(op, `/oauth/authorize/?client_id=${clientId}&response_type=code&state=1`, 'consent', lang);
    // The operator's day.
    await visit(op, `/a/acme-${id}/contact-center`, 'contact-center-operator', lang);
    await visit(op, `/a/acme-${id}/inbox`, 'inbox-list', lang);
    await visit(op, `/a/acme-${id}/inbox?c=${conv}`, 'inbox-conversation', lang);
    // The composer's quick answers, open.
    await op.getByLabel(lang === 'en' ? 'Reply' : 'Odpowiedź', { exact: true }).pressSequentially('/');
    await expect(op.getByRole('listbox').getByRole('option')).toHaveCount(1);
    await check(op, 'inbox-quick-answers', lang);
    await visit(op, `/a/acme-${id}/contact-center/quick-answers`, 'quick-answers-operator', lang);
    await visit(op, `/a/acme-${id}/statistics`, 'statistics-operator', lang);
    // The customer's.
    await visit(customer, path, 'link-picker', lang);
    await visit(customer, chatPath, 'chat', lang);
  }

  // The customer's chat also fits the narrowest phones.
  await customer.setViewportSize({ width: 320, height: 640 });
  const width = await customer.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(320);
  await customer.screenshot({ path: 'test-results/screens/pages/chat-pl-320.png', fullPage: true });
  // A finished conversation asks for a rating.
  await setLang(customer, 'en');
  await customer.goto(chatPath);
  await hydrated(customer);
  await customer.getByRole('button', { name: 'Finish this conversation' }).click();
  await expect(customer.getByRole('group', { name: 'How was this conversation?' })).toBeVisible();
  await hydrated(customer);
  await check(customer, 'chat-rating', 'en');
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close(), visitor.context().close()]);
});
