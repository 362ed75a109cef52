import { expect, Page, BrowserContext } from '@playwright/test';

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
