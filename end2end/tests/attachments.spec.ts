import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, makePng, uniq, newContext, signIn } from './helpers';

test('files both ways: picked, dropped and pasted, with progress and cancel; thumbnails and downloads', async ({ browser, consoleErrors }) => {
  // The refused file is answered 422, which the browser logs.
  consoleErrors.allow(/files\): Failed to load resource: the server responded with a status of 422/);
  const id = uniq();
  const { adminCtx, opCtx, op, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);

  // The customer picks a picture: it goes with a progress bar and shows as a thumbnail.
  await customer.getByLabel('Attach files').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: makePng(900, 500) });
  await expect(customer.getByRole('list', { name: 'Files to send' })).toContainText('screen.png');
  await customer.getByRole('button', { name: 'Send files' }).click();
  const thread = customer.getByRole('list', { name: 'Messages' });
  await expect(thread.getByRole('img', { name: 'screen.png' })).toBeVisible();
  await expect(customer.getByRole('list', { name: 'Files to send' })).toHaveCount(0);
  // The thumbnail links to the full picture.
  const full = await thread.getByRole('link', { name: 'screen.png' }).getAttribute('href');
  const res = await customer.request.get(full!);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('image/png');

  // A file of a type that is not accepted: said plainly, nothing sent.
  await customer.getByLabel('Attach files').setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00 not a pdf') });
  await customer.getByRole('button', { name: 'Send files' }).click();
  await expect(customer.getByRole('alert').filter({ hasText: 'This type of file cannot be sent' })).toBeVisible();

  // The operator sees the picture in the inbox and answers with a dropped PDF.
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  const pane = op.getByRole('region', { name: 'Conversation' });
  await expect(pane.getByRole('img', { name: 'screen.png' })).toBeVisible();
  const drop = await op.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['%PDF-1.7\n%demo\n'], 'instrukcja.pdf', { type: 'application/pdf' }));
    return dt;
  });
  await pane.getByRole('list', { name: 'Messages' }).dispatchEvent('drop', { dataTransfer: drop });
  await expect(pane.getByRole('list', { name: 'Files to send' })).toContainText('instrukcja.pdf');
  await pane.getByRole('button', { name: 'Send files' }).click();
  await expect(thread.getByRole('link', { name: /instrukcja\.pdf \(/ })).toBeVisible();
  await expect(thread.getByRole('link', { name: /instrukcja\.pdf \(/ })).toHaveAttribute('download', 'instrukcja.pdf');

  // Pasting a picture into the reply box puts it into the uploader.
  await pane.getByLabel('Reply', { exact: true }).focus();
  await op.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 40; c.height = 30;
    const blob: Blob = await new Promise((r) => c.toBlob((b) => r(b!), 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'pasted.png', { type: 'image/png' }));
    document.getElementById('reply')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await expect(pane.getByRole('list', { name: 'Files to send' })).toContainText('pasted.png');
  await pane.getByRole('button', { name: 'Send files' }).click();
  await expect(thread.getByRole('img', { name: 'pasted.png' })).toBeVisible();

  // A slow upload shows its progress and can be cancelled: nothing arrives.
  const cdp = await customer.context().newCDPSession(customer);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  await customer.getByLabel('Attach files').setInputFiles({ name: 'big.txt', mimeType: 'text/plain', buffer: Buffer.alloc(2 * 1024 * 1024, 'a') });
  await customer.getByRole('button', { name: 'Send files' }).click();
  const bar = customer.getByRole('progressbar', { name: 'Uploading' });
  await expect(bar).toBeVisible();
  await customer.screenshot({ path: 'test-results/screens/attachments-progress.png', fullPage: true });
  await customer.getByRole('button', { name: 'Cancel upload' }).click();
  await expect(bar).toHaveCount(0);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(thread.getByText('big.txt')).toHaveCount(0);

  await customer.screenshot({ path: 'test-results/screens/attachments-customer.png', fullPage: true });
  await op.screenshot({ path: 'test-results/screens/attachments-inbox.png', fullPage: true });
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.screenshot({ path: 'test-results/screens/attachments-phone.png', fullPage: true });
  // In Polish.
  await custCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: customer.url() }]);
  await customer.reload();
  await expect(customer.getByLabel('Dołącz pliki')).toBeAttached();
  await expect(customer.getByRole('button', { name: 'Wyślij pliki' })).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close()]);
});

test('without JavaScript a plain file input sends files too', async ({ browser }) => {
  const id = uniq();
  const { adminCtx, opCtx, path } = await channelWithOperator(browser, id);
  const { ctx: custCtx } = await customerOnChat(browser, id, path);
  const noJs = await newContext(browser, { javaScriptEnabled: false });
  const page = await noJs.newPage();
  await signIn(page, `cleo-${id}@example.com`);
  await page.goto(path);
  await page.getByRole('link', { name: `Write from Borealis ${id}` }).click();
  await page.getByLabel('Attach files').setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('Plan: step one') });
  await page.getByRole('button', { name: 'Send files' }).click();
  await expect(page.getByRole('list', { name: 'Messages' }).getByRole('link', { name: /plan\.txt \(14 B\)/ })).toBeVisible();
  await Promise.all([adminCtx.close(), opCtx.close(), custCtx.close(), noJs.close()]);
});
