import { test as base, expect, Browser, BrowserContext, Page } from '@playwright/test';

export { expect };
export type { Browser, BrowserContext, Page };

/** Console errors a test expects (e.g. the browser's own line for a page answered 404). */
export interface ConsoleErrors {
  allow(pattern: RegExp): void;
}

/**
 * Every spec imports `test` from here: it fails any test in which a page logged a console
 * error or threw (a wasm panic shows up as both), in the default context and in every
 * context the test opens with `browser.newContext()`, unless the test allowed that line.
 */
export const test = base.extend<{ consoleErrors: ConsoleErrors }>({
  consoleErrors: [
    async ({ browser, context }, use) => {
      const seen: string[] = [];
      const allowed: RegExp[] = [];
      const watch = (page: Page) => {
        page.on('console', (m) => {
          if (m.type() === 'error') seen.push(`console error on ${page.url()} (from ${m.location().url}): ${m.text()}`);
        });
        page.on('pageerror', (e) => seen.push(`page error on ${page.url()}: ${e.stack ?? String(e)}`));
      };
      const hook = (ctx: BrowserContext) => {
        ctx.pages().forEach(watch);
        ctx.on('page', watch);
      };
      hook(context);
      const original = browser.newContext;
      browser.newContext = async function (this: Browser, ...args: Parameters<Browser['newContext']>) {
        const ctx = await original.apply(this, args);
        hook(ctx);
        return ctx;
      };
      try {
        await use({ allow: (p) => allowed.push(p) });
      } finally {
        browser.newContext = original;
      }
      const unexpected = seen.filter((line) => !allowed.some((p) => p.test(line)));
      expect(unexpected, 'no console errors and no page errors').toEqual([]);
    },
    { auto: true },
  ],
});
