import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, uniq, watchConsole } from './helpers';

test('a message an app sends with ATTACH and KEYBOARD shows rich blocks and link buttons to the customer and the operator', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const code = path.match(/[0-9a-f]{32}/)![0];
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const errors = watchConsole(customer);

  // Cleo, admin of Borealis, makes a webhook for her account's integration.
  const profile = await custCtx.newPage();
  await profile.goto('/profile');
  await hydrated(profile);
  await profile.locator('form[action="/profile/webhooks"]').getByLabel('Title').fill('Billing');
  await profile.getByRole('button', { name: 'Create webhook' }).click();
  const hook = await profile.getByLabel('Your new webhook URL').inputValue();
  const cleoId = hook.match(/\/rest\/(\d+)\//)![1];
  const call = async (method: string, body: object) => {
    const r = await profile.request.post(`${hook}${method}`, { data: body });
    return { status: r.status(), json: await r.json() };
  };
  expect((await call('imopenlines.network.join', { CODE: code })).status).toBe(200);

  // A script link is refused and nothing reaches the customer.
  const bad = await call('imopenlines.network.message.add', {
    CODE: code, USER_ID: cleoId, MESSAGE: 'x',
    ATTACH: [{ LINK: { NAME: 'Click', LINK: 'javascript:alert(1)' } }],
  });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toBe('ATTACH_ERROR');

  const sent = await call('imopenlines.network.message.add', {
    CODE: code,
    USER_ID: cleoId,
    MESSAGE: 'Your invoice is ready',
    ATTACH: {
      ID: 1,
      COLOR: '#29619b',
      BLOCKS: [
        { MESSAGE: 'Invoice 7/2026' },
        { DELIMITER: { SIZE: 200 } },
        { GRID: [{ NAME: 'Total', VALUE: '120 EUR', DISPLAY: 'LINE' }, { NAME: 'Due', VALUE: '14 days', DISPLAY: 'LINE' }] },
        { LINK: { NAME: 'Invoice PDF', DESC: '84 KB', LINK: 'https://billing.example.com/i/7.pdf' } },
      ],
    },
    KEYBOARD: [
      { TEXT: 'Pay now', LINK: 'https://billing.example.com/pay/7' },
      { TYPE: 'NEWLINE' },
      { TEXT: 'Ask a question', LINK: 'https://billing.example.com/help' },
    ],
  });
  expect(sent.status, JSON.stringify(sent.json)).toBe(200);

  // The customer sees it live: text, blocks and buttons, not flattened text.
  const messages = customer.getByRole('list', { name: 'Messages' });
  await expect(messages).toContainText('Your invoice is ready');
  await expect(messages).not.toContainText('Pay now: https://');
  // Marked with the account whose app sent it, not taken for the channel's own words.
  await expect(messages.getByText(/Sent by an app of\s+Borealis/)).toBeVisible();
  const pdf = messages.getByRole('link', { name: 'Invoice PDF' });
  await expect(pdf).toHaveAttribute('href', 'https://billing.example.com/i/7.pdf');
  await expect(pdf).toHaveAttribute('rel', /noopener/);
  await expect(messages.getByRole('term').filter({ hasText: 'Total' })).toBeVisible();
  await expect(messages.getByRole('definition').filter({ hasText: '120 EUR' })).toBeVisible();
  await expect(messages.getByRole('separator')).toHaveCount(1);
  const buttons = messages.getByRole('group', { name: 'Message buttons' });
  await expect(buttons.getByRole('link')).toHaveCount(2);
  await expect(buttons.getByRole('link', { name: 'Pay now' })).toHaveAttribute('href', 'https://billing.example.com/pay/7');
  await expect(buttons.getByRole('link', { name: 'Pay now' })).toHaveAttribute('target', '_blank');
  await customer.screenshot({ path: 'test-results/screens/rich-chat.png', fullPage: true });
  await customer.setViewportSize({ width: 390, height: 844 });
  await expect(buttons.getByRole('link', { name: 'Ask a question' })).toBeInViewport({ ratio: 0.5 });
  await customer.screenshot({ path: 'test-results/screens/rich-chat-phone.png', fullPage: true });

  // After a reload (server-rendered) it is the same.
  await customer.reload();
  await hydrated(customer);
  await expect(customer.getByRole('group', { name: 'Message buttons' }).getByRole('link', { name: 'Pay now' })).toBeVisible();

  // The operator sees the same blocks in the inbox.
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
  const opMessages = op.getByRole('list', { name: 'Messages' });
  await expect(opMessages.getByRole('link', { name: 'Invoice PDF' })).toBeVisible();
  await expect(opMessages.getByText(/Sent by an app of\s+Borealis/)).toBeVisible();
  await expect(opMessages.getByRole('group', { name: 'Message buttons' }).getByRole('link', { name: 'Pay now' })).toBeVisible();
  await op.screenshot({ path: 'test-results/screens/rich-inbox.png', fullPage: true });
  expect(errors).toEqual([]);
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

