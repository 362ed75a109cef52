import { test, expect } from './fixtures';
import { channelWithOperator, customerOnChat, hydrated, newContext, register, uniq, watchConsole } from './helpers';

/** Monday-first index (0–6) of the weekday `days` days from now in Warsaw. */
function warsawWeekday(days: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Warsaw', weekday: 'long' }).format(new Date());
  const order = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  return (order.indexOf(name) + days) % 7;
}

test('an admin sets working hours and automatic messages; outside them customers see the channel offline and get the offline message', async ({ browser }) => {
  const id = uniq();
  const { admin, path } = await channelWithOperator(browser, id);
  const adminErrors = watchConsole(admin);
  await admin.goto(`/a/acme-${id}/contact-center/network`);
  await admin.getByRole('link', { name: `Hours Acme Help ${id}` }).click();
  await expect(admin.getByRole('heading', { name: 'Working hours and automatic messages' })).toBeVisible();
  await hydrated(admin);

  // Wrong values: each error beside its field, nothing saved, what was typed kept.
  await admin.getByRole('switch', { name: 'Use working hours' }).check();
  await admin.getByLabel('Time zone of the schedule').selectOption('Europe/Warsaw');
  await admin.getByRole('checkbox', { name: 'Monday' }).check();
  await admin.getByLabel('Monday: Opens').fill('25:00');
  await admin.getByLabel('Monday: Closes').fill('17:00');
  await admin.getByLabel('Holidays (closed)').fill('2026-02-30');
  await admin.getByLabel('No answer after (minutes)').fill('5');
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Please correct the marked fields.')).toBeVisible();
  await expect(admin.getByText('Enter the opening and closing times as HH:MM (00:00–24:00).')).toBeVisible();
  await expect(admin.getByText('Enter each date as YYYY-MM-DD or DD.MM.YYYY, one per line; the date must exist.')).toBeVisible();
  await expect(admin.getByText('This field is required.')).toBeVisible();
  await expect(admin.getByLabel('Monday: Opens')).toHaveValue('25:00');
  await admin.screenshot({ path: 'test-results/screens/hours-errors.png', fullPage: true });

  // A schedule that is closed now: one day three days ahead, 10:00–11:00 in Warsaw.
  const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  await admin.getByRole('checkbox', { name: 'Monday' }).uncheck();
  const day = days[warsawWeekday(3)];
  await admin.getByRole('checkbox', { name: day }).check();
  await admin.getByLabel(`${day}: Opens`).fill('10:00');
  await admin.getByLabel(`${day}: Closes`).fill('11:00');
  await admin.getByLabel('Holidays (closed)').fill('24.12.2026\n2026-12-25');
  await admin.getByLabel('Offline message').fill('We are closed now; we answer from 10:00.');
  await admin.getByLabel('Wait in the queue until the channel opens (nobody is assigned before)').check();
  await admin.getByLabel('No-answer message').fill('Sorry for the wait, an operator will be with you shortly.');
  await admin.getByLabel('Close after customer silence (minutes)').fill('60');
  await admin.getByLabel('Closing message').fill('We closed this chat; write again any time.');
  await admin.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByText('Working hours and automatic messages saved.')).toBeVisible();
  await expect(admin.getByText('Offline now', { exact: true })).toBeVisible();
  await expect(admin.getByLabel('Holidays (closed)')).toHaveValue('2026-12-24\n2026-12-25');
  await expect(admin.getByLabel('No answer after (minutes)')).toHaveValue('5');
  await expect(admin.getByText('Ask the customer to rate a finished conversation:')).toBeVisible();
  await admin.screenshot({ path: 'test-results/screens/hours-settings.png', fullPage: true });
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.screenshot({ path: 'test-results/screens/hours-settings-phone.png', fullPage: true });
  await admin.setViewportSize({ width: 1280, height: 800 });

  // The customer: the link card says offline and when it opens; so does the chat page.
  const { ctx: custCtx, page: customer } = await customerOnChat(browser, id, path);
  const custErrors = watchConsole(customer);
  await customer.goto(path);
  await expect(customer.getByRole('status').filter({ hasText: 'Offline now: you can still write' })).toBeVisible();
  await expect(customer.getByText('Opens:')).toBeVisible();
  await customer.getByText('Working hours', { exact: false }).first().click();
  await expect(customer.getByRole('row', { name: new RegExp(`${day} 10:00–11:00`) })).toBeVisible();
  await customer.screenshot({ path: 'test-results/screens/hours-link-offline.png', fullPage: true });
  await customer.getByRole('link', { name: `Write from Borealis ${id}` }).click();
  await hydrated(customer);
  await expect(customer.getByRole('status').filter({ hasText: 'Offline now' })).toBeVisible();
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Hello, anyone there at night?');
  await box.press('Enter');
  const list = customer.getByRole('list', { name: 'Messages' });
  await expect(list).toContainText('We are closed now; we answer from 10:00.');
  // Once per offline period: the second message gets no second notice.
  await box.fill('One more thing');
  await box.press('Enter');
  await expect(list).toContainText('One more thing');
  await expect(list.getByText('We are closed now; we answer from 10:00.')).toHaveCount(1);
  await customer.setViewportSize({ width: 390, height: 844 });
  await customer.screenshot({ path: 'test-results/screens/hours-chat-offline-phone.png', fullPage: true });
  await customer.setViewportSize({ width: 1280, height: 800 });

  // In Polish.
  await custCtx.addCookies([{ name: 'netlines_lang', value: 'pl', url: customer.url() }]);
  await customer.reload();
  await expect(customer.getByRole('status').filter({ hasText: 'Teraz poza godzinami pracy' })).toBeVisible();
  await admin.context().addCookies([{ name: 'netlines_lang', value: 'pl', url: admin.url() }]);
  await admin.reload();
  await expect(admin.getByRole('heading', { name: 'Godziny pracy i wiadomości automatyczne' })).toBeVisible();
  await expect(admin.getByLabel('Wiadomość poza godzinami pracy')).toHaveValue('We are closed now; we answer from 10:00.');

  // Switched off: the channel is open again for customers.
  await admin.getByRole('switch', { name: 'Używaj godzin pracy' }).uncheck();
  await admin.getByRole('button', { name: 'Zapisz' }).click();
  await expect(admin.getByText('Zapisano godziny pracy i wiadomości automatyczne.')).toBeVisible();
  await customer.reload();
  await expect(customer.getByText('Teraz poza godzinami pracy')).toHaveCount(0);
  expect(adminErrors).toEqual([]);
  expect(custErrors).toEqual([]);
});

test('the statistics page shows the figures as charts with tables, for admins and operators, with a CSV download; times follow the browser zone', async ({ browser }) => {
  const id = uniq();
  const { admin, op, path } = await channelWithOperator(browser, id);
  const { page: customer } = await customerOnChat(browser, id, path);
  const box = customer.getByLabel('Message', { exact: true });
  await box.fill('Where is my order?');
  await box.press('Enter');
  await op.goto(`/a/acme-${id}/inbox`);
  await hydrated(op);
  await op.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(`Cleo ${id}`) }).click();
  await op.getByLabel('Reply').fill('On its way.');
  await op.getByLabel('Reply').press('Enter');
  await expect(customer.getByRole('list', { name: 'Messages' })).toContainText('On its way.');
  await op.getByRole('region', { name: 'Conversation' }).getByRole('button', { name: 'Finish' }).click();
  await customer.getByRole('group', { name: 'How was this conversation?' }).getByLabel('👍 Good').check();
  await customer.getByRole('button', { name: 'Send rating' }).click();
  await expect(customer.getByText('Thank you for your rating.')).toBeVisible();

  // The admin: from the account's navigation.
  const errors = watchConsole(admin);
  await admin.goto(`/a/acme-${id}`);
  await admin.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Statistics' }).click();
  await expect(admin.getByRole('heading', { name: 'Statistics', level: 1 })).toBeVisible();
  await hydrated(admin);
  await expect(admin.getByText('All conversations of the account')).toBeVisible();
  const tiles = admin.getByRole('definition');
  await expect(tiles.first()).toHaveText('1');
  for (const chart of ['Conversations per day', 'Response and closing times', 'Load per operator', 'Busiest hours', 'Ratings']) {
    await expect(admin.getByRole('img', { name: chart })).toBeVisible();
    await expect(admin.getByRole('table', { name: chart })).toBeVisible();
  }
  await expect(admin.getByRole('table', { name: 'Load per operator' }).getByRole('row', { name: new RegExp(`Olek ${id} 1 1 1`) })).toBeVisible();
  await expect(admin.getByRole('table', { name: 'Ratings' }).getByRole('row', { name: 'Liked 1', exact: true })).toBeVisible();
  await expect(admin.getByRole('table', { name: 'Ratings' }).getByRole('row', { name: 'Share liked 100 %', exact: true })).toBeVisible();
  await admin.screenshot({ path: 'test-results/screens/stats-desktop.png', fullPage: true });
  await admin.setViewportSize({ width: 390, height: 844 });
  await admin.screenshot({ path: 'test-results/screens/stats-phone.png', fullPage: true });
  await admin.setViewportSize({ width: 1280, height: 800 });

  // Another period: nothing in it.
  await admin.getByLabel('From').fill('2026-01-01');
  await admin.getByLabel('To', { exact: true }).fill('2026-01-31');
  await admin.getByRole('button', { name: 'Show' }).click();
  await expect(admin).toHaveURL(/from=2026-01-01/);
  await expect(admin.getByText('2026-01-01 – 2026-01-31')).toBeVisible();
  await expect(admin.getByRole('definition').first()).toHaveText('0');
  // A period the wrong way round is refused with its reason.
  await admin.getByLabel('From').fill('2026-02-01');
  await admin.getByRole('button', { name: 'Show' }).click();
  await expect(admin.getByRole('alert')).toHaveText('Choose a period of at most 366 days whose start is not after its end.');
  await admin.getByRole('link', { name: 'Show the last 7 days' }).click();
  await expect(admin.getByRole('definition').first()).toHaveText('1');

  // The CSV of what is shown.
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^netlines-acme-${id}-\\d{4}-\\d\\d-\\d\\d-\\d{4}-\\d\\d-\\d\\d\\.csv$`));
  const csv = require('fs').readFileSync(await download.path(), 'utf8') as string;
  expect(csv).toContain('metric,value\nstarted,1\nanswered,1\nmissed,0\n');
  expect(csv).toContain('likes,1');

  // In Polish.
  await admin.context().addCookies([{ name: 'netlines_lang', value: 'pl', url: admin.url() }]);
  await admin.reload();
  await expect(admin.getByRole('heading', { name: 'Statystyki', level: 1 })).toBeVisible();
  await expect(admin.getByRole('img', { name: 'Rozmowy dziennie' })).toBeVisible();
  await expect(admin.getByRole('link', { name: 'Pobierz CSV' })).toBeVisible();
  expect(errors).toEqual([]);

  // The operator sees only their own conversations.
  await op.goto(`/a/acme-${id}/statistics`);
  await expect(op.getByText('Your conversations')).toBeVisible();
  await expect(op.getByRole('definition').first()).toHaveText('1');
});

test('times follow the browser zone, told to the server; the profile zone is used where the browser is unknown', async ({ browser }) => {
  const id = uniq();
  const ctx = await newContext(browser, { timezoneId: 'Asia/Tokyo' });
  const page = await ctx.newPage();
  await register(page, `tz-${id}@example.com`, `Tomo ${id}`);
  await page.getByRole('link', { name: 'New account' }).click();
  await page.getByLabel('Account name').fill(`Tokyo ${id}`);
  await page.getByLabel('Slug (used in addresses)').fill(`tokyo-${id}`);
  await page.getByRole('button', { name: 'Create account' }).click();
  await hydrated(page);
  await expect.poll(async () => (await ctx.cookies()).find((c) => c.name === 'netlines_tz')?.value).toBe('Asia/Tokyo');
  // The server now renders in that zone: the statistics default to it.
  await page.goto(`/a/tokyo-${id}/statistics`);
  await expect(page.getByLabel('Time zone', { exact: true })).toHaveValue('Asia/Tokyo');

  // The profile's zone: chosen, saved, and used when the browser has said nothing.
  await page.goto('/profile');
  await page.getByLabel('Time zone', { exact: true }).selectOption('America/New_York');
  await page.getByRole('button', { name: 'Save' }).first().click();
  await expect(page.getByText('Time zone saved.')).toBeVisible();
  await expect(page.getByLabel('Time zone', { exact: true })).toHaveValue('America/New_York');
  await ctx.clearCookies({ name: 'netlines_tz' });
  const noJs = await newContext(browser, { javaScriptEnabled: false, storageState: await ctx.storageState() });
  const plain = await noJs.newPage();
  await plain.goto(`/a/tokyo-${id}/statistics`);
  await expect(plain.getByLabel('Time zone', { exact: true })).toHaveValue('America/New_York');
  await page.screenshot({ path: 'test-results/screens/profile-time-zone.png', fullPage: true });
});
