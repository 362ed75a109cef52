import { expect, Browser, Page, BrowserContext } from '@playwright/test';

/** A unique suffix, so specs never collide in the shared test database. */
export function uniq(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export const PASSWORD = 'correct horse battery';

/** Fails the test on any browser console error (hydration mismatches show up there). */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Waits until the WebAssembly client has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export async function register(page: Page, email: string, name: string, password = PASSWORD) {
  await page.goto('/register');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function createAccount(page: Page, name: string, slug: string) {
  await page.getByRole('link', { name: 'New account' }).click();
  await page.getByLabel('Account name').fill(name);
  await page.getByLabel('Slug (used in addresses)').fill(slug);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function newContext(browser: { newContext: (o?: object) => Promise<BrowserContext> }, opts: object = {}) {
  return browser.newContext({ locale: 'en-US', ...opts });
}

import * as zlib from 'zlib';

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A real PNG made here: left half blue, right half orange. */
export function makePng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 4;
      const left = x < width / 2;
      raw[o] = left ? 41 : 240;
      raw[o + 1] = left ? 82 : 140;
      raw[o + 2] = left ? 204 : 40;
      raw[o + 3] = 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** Registers an admin with a fresh account and opens its Contact Center. */
export async function adminWithAccount(page: Page, id: string) {
  await register(page, `admin-${id}@example.com`, `Admin ${id}`);
  await createAccount(page, `Acme ${id}`, `acme-${id}`);
  await page.getByRole('link', { name: 'Contact Center' }).click();
  await expect(page.getByRole('heading', { name: 'Contact Center' })).toBeVisible();
}

/** From the Contact Center: Network channel → Connect → a new channel named `name`. */
export async function connectNewChannel(page: Page, name: string) {
  await page.getByRole('link', { name: 'Network channel' }).click();
  await page.getByRole('link', { name: 'Connect' }).click();
  await page.getByLabel('Create a new open channel').check();
  await page.getByLabel('Name of the new channel').fill(name);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('heading', { name: 'Network channel settings' })).toBeVisible();
}

/**
 * The admin (on the account page) invites `email`, and the invited person (`person`,
 * signed in with that email) accepts on their Network page. Leaves the admin on the
 * account page.
 */
export async function inviteAndAccept(admin: Page, person: Page, id: string, email: string) {
  await admin.goto(`/a/acme-${id}`);
  await admin.getByLabel('Email of the member').fill(email);
  await admin.getByRole('button', { name: 'Invite' }).click();
  await expect(admin.getByRole('status')).toContainText('Invitation made.');
  await person.goto('/network');
  await person.getByRole('group', { name: `Acme ${id} invites you to join as` }).getByRole('button', { name: 'Accept' }).click();
  await expect(person.getByRole('status')).toHaveText('You joined the account.');
  await admin.reload();
}

/** An admin with a connected channel (welcome message set) and an operator in its queue. */
export async function channelWithOperator(browser: Browser, id: string) {
  const adminCtx = await newContext(browser);
  const opCtx = await newContext(browser);
  const admin = await adminCtx.newPage();
  const op = await opCtx.newPage();
  await register(op, `op-${id}@example.com`, `Olek ${id}`);
  await adminWithAccount(admin, id);
  await connectNewChannel(admin, `Help ${id}`);
  await admin.getByLabel('Name', { exact: true }).fill(`Acme Help ${id}`);
  await admin.getByLabel('Short description').fill('We answer within minutes');
  await admin.getByLabel('Welcome message').fill('Dzień dobry! How can we help?');
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Settings saved.')).toBeVisible();
  const link = await admin.getByLabel('Link').inputValue();
  await inviteAndAccept(admin, op, id, `op-${id}@example.com`);
  await admin.getByRole('link', { name: 'Contact Center' }).click();
  await admin.getByRole('group', { name: `Operators of Help ${id}` }).getByLabel(`Olek ${id}`).check();
  await admin.getByRole('button', { name: 'Save operators' }).click();
  await expect(admin.getByText('Operators saved.')).toBeVisible();
  return { adminCtx, opCtx, op, admin, path: link.replace(/^https?:\/\/[^/]+/, '') };
}

/** A customer with an account of their own, on the channel's chat page (hydrated). */
export async function customerOnChat(browser: Browser, id: string, path: string) {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await register(page, `cleo-${id}@example.com`, `Cleo ${id}`);
  await createAccount(page, `Borealis ${id}`, `borealis-${id}`);
  await page.goto(path);
  await page.getByRole('link', { name: `Write from Borealis ${id}` }).click();
  await hydrated(page);
  return { ctx, page };
}

/** Opens the channel's settings from the admin's page and sets the multiple-chats switch. */
export async function setMultiChat(admin: Page, id: string, limit: string | null) {
  await admin.goto(`/a/acme-${id}/contact-center/network`);
  await admin.getByRole('row', { name: new RegExp(`Acme Help ${id}`) }).getByRole('link', { name: /Settings/ }).click();
  const sw = admin.getByRole('switch', { name: 'Allow multiple simultaneous chats with the same customer' });
  if (limit === null) {
    await sw.uncheck();
  } else {
    await sw.check();
    await admin.getByLabel('Limit').fill(limit);
  }
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Settings saved.')).toBeVisible();
}
