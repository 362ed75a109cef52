import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq, watchConsole } from './helpers';

/**
 * A small Bitrix24-style app (test code): its handler receives the member's
 * authorization code, trades it at /oauth/token/, refreshes the pair once (as apps do
 * when the hour is up) and binds ONOPENLINEMESSAGEADD; when a customer writes, the event
 * arrives at /events and the app answers in that conversation through im.message.add.
 * A customer message containing "fail once" is refused (503) the first time.
 */
async function startApp(base: string) {
  const app = { clientId: '', clientSecret: '', access: '', refresh: '', memberId: '', userId: 0, events: [] as string[], bind: null as unknown };
  const refusedOnce = new Set<string>();
  const reply = async (chat: string, message: string) =>
    fetch(`${base}/rest/im.message.add.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: app.access, DIALOG_ID: `chat${chat}`, MESSAGE: message }),
    });
  let origin = '';
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/events' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const f = new URLSearchParams(body);
      const id = f.get('event_id') ?? '';
      const text = f.get('data[DATA][0][message][text]') ?? '';
      const customer = f.get('data[DATA][0][message][author]') === 'customer';
      const ours = f.get('auth[application_token]') !== null && f.get('auth[member_id]') === app.memberId;
      if (!ours) {
        res.writeHead(403);
        return res.end();
      }
      if (customer && text.includes('fail once') && !refusedOnce.has(id)) {
        refusedOnce.add(id);
        res.writeHead(503);
        return res.end();
      }
      app.events.push(`${f.get('event')} ${id}`);
      if (customer) {
        const chat = f.get('data[DATA][0][chat][id]')!;
        await reply(chat, text.includes('fail once') ? 'Got it after a retry (Helper app)' : 'Your invoice copy is on its way (sent by Helper app)');
      }
      res.writeHead(200);
      return res.end();
    }
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><title>Helper app</title><link rel="icon" href="data:,"><body>${html}</body></html>`);
    };
    try {
      if (url.pathname === '/handler' && url.searchParams.get('code')) {
        const token = await fetch(`${base}/oauth/token/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: app.clientId,
            client_secret: app.clientSecret,
            code: url.searchParams.get('code')!,
          }),
        }).then((r) => r.json());
        if (!token.access_token) return send(400, `<h1>Token refused: ${token.error}</h1>`);
        // Refresh right away, as with an expired token (GET, as most Bitrix24 apps do).
        const q = new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: app.clientId,
          client_secret: app.clientSecret,
          refresh_token: token.refresh_token,
        });
        const fresh = await fetch(`${base}/oauth/token/?${q}`).then((r) => r.json());
        if (!fresh.access_token) return send(400, `<h1>Refresh refused: ${fresh.error}</h1>`);
        Object.assign(app, {
          access: fresh.access_token,
          refresh: fresh.refresh_token,
          memberId: fresh.member_id,
          userId: fresh.user_id,
        });
        app.bind = await fetch(`${base}/rest/event.bind.json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ auth: app.access, event: 'ONOPENLINEMESSAGEADD', handler: `${origin}/events` }),
        }).then((r) => r.json());
        return send(200, `<h1>Connected to Netlines</h1><p>state ${url.searchParams.get('state')}</p>`);
      }
      if (url.pathname === '/handler' && url.searchParams.get('error')) {
        return send(200, `<h1>Access denied</h1>`);
      }
      if (url.pathname === '/answer') {
        const r = await fetch(`${base}/rest/im.message.add.json`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            auth: app.access,
            DIALOG_ID: url.searchParams.get('dialog'),
            MESSAGE: 'Your invoice copy is on its way (sent by Helper app)',
          }),
        });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        return res.end(await r.text());
      }
      send(404, '<h1>Not found</h1>');
    } catch (e) {
      send(500, `<h1>${String(e)}</h1>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return { app, server, handler: `http://127.0.0.1:${port}/handler`, answer: `http://127.0.0.1:${port}/answer` };
}

test('an admin registers an app; an operator allows it in Chromium; the app answers a customer, who sees it live', async ({ browser, baseURL }) => {
  const id = uniq();
  const { adminCtx, opCtx, admin, op, path } = await channelWithOperator(browser, id);
  const adminErrors = watchConsole(admin);
  const helper = await startApp(baseURL!);
  try {
    // The admin's Apps page: a bad handler URL is named at its field; then registered.
    await admin.goto(`/a/acme-${id}`);
    await admin.getByRole('link', { name: 'Manage apps' }).click();
    await expect(admin.getByRole('heading', { name: 'Apps', exact: true })).toBeVisible();
    await hydrated(admin);
    await admin.getByLabel('App name').fill('Helper app');
    await admin.getByLabel('Handler URL').fill('helper.example/handler');
    await admin.getByRole('button', { name: 'Register app' }).click();
    await expect(admin.getByText('Enter a full web address starting with https:// or http://')).toBeVisible();
    await expect(admin.getByLabel('App name')).toHaveValue('Helper app');
    await expect(admin.getByText('No apps yet.')).toBeVisible();
    await admin.getByLabel('Handler URL').fill(helper.handler);
    await admin.getByRole('button', { name: 'Register app' }).click();
    await expect(admin.getByText('The app is registered.')).toBeVisible();
    helper.app.clientId = await admin.getByLabel('client_id').inputValue();
    helper.app.clientSecret = await admin.getByLabel('client_secret').inputValue();
    expect(helper.app.clientId).toMatch(/^local\.[0-9a-f]{14}\.\d{8}$/);
    expect(helper.app.clientSecret).toMatch(/^[0-9a-f]{50}$/);
    await admin.screenshot({ path: 'test-results/screens/apps.png', fullPage: true });
    await admin.reload();
    await expect(admin.getByLabel('client_secret')).toHaveCount(0);
    const card = admin.getByRole('article', { name: 'Helper app' });
    await expect(card).toContainText(helper.app.clientId);
    await expect(card).toContainText('No member has allowed it yet.');

    // A customer writes.
    const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
    const box = customer.getByLabel('Message', { exact: true });
    await box.fill('Could I get a copy of my invoice?');
    await box.press('Enter');

    // The operator opens the app's authorization address, reads the consent, allows.
    const opErrors = watchConsole(op);
    await op.goto(`/oauth/authorize/?client_id=${helper.app.clientId}&response_type=code&state=st-${id}`);
    await expect(op.getByRole('heading', { name: 'Allow an app' })).toBeVisible();
    await expect(op.getByText(`Helper app asks to act on your behalf in the account Acme ${id}`)).toBeVisible();
    await expect(op.getByText('read and send messages in the conversations you may see (im)')).toBeVisible();
    await op.screenshot({ path: 'test-results/screens/consent.png', fullPage: true });
    await op.getByRole('button', { name: 'Allow' }).click();
    // The browser lands on the app's own page: it traded the code and refreshed.
    await expect(op.getByRole('heading', { name: 'Connected to Netlines' })).toBeVisible();
    await expect(op.getByText(`state st-${id}`)).toBeVisible();
    expect(helper.app.memberId).toMatch(/^[0-9a-f]{32}$/);

    expect(helper.app.bind).toMatchObject({ result: true });

    // The customer writes again: the app hears it as an event and answers in the
    // conversation; the customer sees the answer live.
    const messages = customer.getByRole('list', { name: 'Messages' });
    await expect(messages).toContainText('Sent');
    const tab = customer.getByRole('tablist', { name: 'Open conversations' }).getByRole('tab').first();
    const chat = (await tab.getAttribute('href'))!.replace('?c=', '');
    await box.fill('Please send it to my email');
    await box.press('Enter');
    await expect(messages).toContainText('Your invoice copy is on its way (sent by Helper app)');

    // The app refuses one event (503): the admin sees it waiting in the delivery log and
    // sends it again at once; the app then answers.
    await box.fill('This one should fail once');
    await box.press('Enter');
    await expect(messages).toContainText('This one should fail once');
    const log = card.getByRole('table', { name: 'Delivery log' });
    let waiting = log.getByRole('row').filter({ hasText: '503' });
    await expect(async () => {
      await admin.reload();
      await expect(waiting).toHaveCount(1, { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(waiting).toContainText('Waiting; next try');
    await expect(log.getByRole('row').filter({ hasText: 'Delivered' }).first()).toBeVisible();
    await admin.screenshot({ path: 'test-results/screens/apps-delivery-log.png', fullPage: true });
    await waiting.getByRole('button', { name: /Retry now/ }).click();
    await expect(admin.getByText('The event is being sent again now.')).toBeVisible();
    await expect(messages).toContainText('Got it after a retry (Helper app)');
    await expect(async () => {
      await admin.reload();
      await expect(log.getByRole('row').filter({ hasText: '503' })).toHaveCount(0, { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    expect(helper.app.events.length).toBeGreaterThanOrEqual(3);
    expect(new Set(helper.app.events).size).toBe(helper.app.events.length);

    // The admin sees who allowed it, and revokes: the app's token stops working.
    await admin.reload();
    await expect(card).toContainText(`Olek ${id}`);
    await card.getByRole('button', { name: `Revoke the access of Olek ${id}` }).click();
    await expect(admin.getByText('Access revoked')).toBeVisible();
    const refused = await op.request.get(`${helper.answer}?dialog=chat${chat}`);
    expect(refused.status()).toBe(401);
    expect((await refused.json()).error).toBe('invalid_token');

    // Deny on a second visit: the app hears access_denied.
    await op.goto(`/oauth/authorize/?client_id=${helper.app.clientId}&response_type=code`);
    await op.getByRole('button', { name: 'Deny' }).click();
    await expect(op.getByRole('heading', { name: 'Access denied' })).toBeVisible();
    expect(adminErrors).toEqual([]);
    expect(opErrors).toEqual([]);
    await custCtx.close();
  } finally {
    helper.server.close();
    await adminCtx.close();
    await opCtx.close();
  }
});

test('the consent page in Polish on a phone, and a foreign redirect is stopped', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, admin, op } = await channelWithOperator(browser, id);
  try {
    await admin.goto(`/a/acme-${id}/apps`);
    await admin.getByLabel('App name').fill('Faktury');
    await admin.getByLabel('Handler URL').fill('https://faktury.example/b24');
    await admin.getByRole('button', { name: 'Register app' }).click();
    const clientId = await admin.getByLabel('client_id').inputValue();
    await op.setViewportSize({ width: 390, height: 800 });
    await op.goto('/network');
    await op.context().addCookies([{ name: 'netlines_lang', value: 'pl', url: op.url() }]);
    await op.goto(`/oauth/authorize/?client_id=${clientId}&response_type=code`);
    await expect(op.getByRole('heading', { name: 'Udziel dostępu aplikacji' })).toBeVisible();
    await expect(op.getByRole('button', { name: 'Zezwól' })).toBeVisible();
    await expect(op.getByRole('button', { name: 'Odmów' })).toBeVisible();
    await op.screenshot({ path: 'test-results/screens/consent-pl-phone.png', fullPage: true });
    await op.goto(`/oauth/authorize/?client_id=${clientId}&redirect_uri=${encodeURIComponent('https://evil.example/x')}`);
    await expect(op.getByRole('alert')).toContainText('spoza swojej zarejestrowanej witryny');
    await expect(op.getByRole('button', { name: 'Zezwól' })).toHaveCount(0);
  } finally {
    await adminCtx.close();
    await opCtx.close();
  }
});
