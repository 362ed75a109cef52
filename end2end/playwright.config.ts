import { defineConfig } from '@playwright/test';
import * as path from 'path';

// The server binary and the site come from scripts/build-site (scripts/e2e.sh sets NETLINES_BIN).
const port = Number(process.env.E2E_PORT ?? 3999);
const baseURL = `http://127.0.0.1:${port}`;
const tmp = path.resolve(__dirname, '.tmp');
const bin = process.env.NETLINES_BIN ?? path.resolve(__dirname, '../target/debug/netlines');
const siteRoot = process.env.NETLINES_SITE_ROOT ?? path.resolve(__dirname, '../target/site-debug');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  // No retries: a flaky spec is a bug to fix, never to retry to green.
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
    locale: 'en-US',
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: {
    command: `rm -rf "${tmp}" && mkdir -p "${tmp}" && exec "${bin}" serve`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${tmp}/e2e.db?mode=rwc`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_OUTPUT_NAME: 'netlines',
      NETLINES_PUBLIC_URL: baseURL,
      // Every spec registers its own people from one IP.
      NETLINES_REGISTRATIONS_PER_IP_HOUR: '100000',
      // The test apps' event handlers listen on 127.0.0.1 (an admin's setting).
      NETLINES_EVENTS_ALLOW_PRIVATE: '1',
      RUST_LOG: 'warn',
    },
  },
});
