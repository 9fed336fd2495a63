// The dashboard as a person uses it: headless Chromium, no internet, an API key typed in. Its
// numbers are the API's, a new click shows within 2 s (and stays when an older answer of a
// reload lands after it), and after the test cuts its websocket (a TCP relay between browser
// and server) the clicks sent meanwhile all show once it is back.
import type { INestApplication } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { chromiumPresent, launchChromium, TEST_OUTPUT } from '../support/browser.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import { sleep } from '../support/load.js';
import { PgProxy } from '../support/pg-proxy.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const hasChromium = chromiumPresent('the dashboard browser test');

const KEY = 'dash-key';
const ACCOUNT = 'waba-dashboard';
const STATS = `query($a: ID!) {
  clickStats(businessAccountId: $a) { total byComponent { key count } byProduct(limit: 10) { key count } }
  clickFunnel(businessAccountId: $a, steps: ["sent", "click", "landing_page_view", "purchase"]) { steps { name count } }
}`;

/** The text of every row of a table's body, cell by cell. */
const rows = (page: Page, table: string) =>
  page.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );

describe.skipIf(!hasChromium)('the dashboard in a browser', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let webhook: string;
  let api: string;
  let relay: PgProxy;
  let base: string;
  let browser: Browser;

  const post = (actions: Record<string, unknown>[], account = ACCOUNT) =>
    postWebhook(webhook, sampleClickDelivery({ businessAccountId: account, actions }));

  beforeAll(async () => {
    db = await sqliteDatabase();
    const server = await startTestServer({ DATABASE_URL: db.url, CLICKS_API_KEYS: `${KEY}=*` });
    ({ app, webhook, graphql: api } = server);
    relay = new PgProxy(Number(new URL(server.base).port));
    await relay.start();
    base = `http://127.0.0.1:${relay.port}`;

    const hour = Date.now() - 30 * 60_000;
    await post(
      Array.from({ length: 12 }, (_, i) =>
        sampleClickAction({
          click_id: `seed-${i}`,
          click_component: i % 3 === 0 ? 'body' : 'cta',
          product_id: `sku_${i % 4}`,
          timestamp: Math.floor((hour + i * 60_000) / 1000),
        }),
      ),
    );
    await post(
      [0, 1, 2].map((i) =>
        sampleClickAction({ click_id: `seed-${i}`, action_type: 'landing_page_view' }),
      ),
    );
    await post([sampleClickAction({ click_id: 'other-0' })], 'waba-other');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.cut();
    await app?.close();
    await db?.dispose();
  });

  it('loads offline, shows the API numbers, a new click within 2 s, and every click sent while cut off', async () => {
    // A zone 5:45 ahead of UTC: the day and week charts are in the viewer's zone.
    const context = await browser.newContext({
      viewport: { width: 1300, height: 1400 },
      timezoneId: 'Asia/Kathmandu',
    });
    const foreign: string[] = [];
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith(base.replace('http', 'ws'))) {
        await route.continue();
      } else {
        foreign.push(url);
        await route.abort();
      }
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${base}/dashboard`);
    await expect.poll(() => page.locator('#message').innerText()).toMatch(/API key/);
    await page.fill('#key', KEY);
    await page.click('#key-form button');
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
    // To another account and back, and the same one again: each ends the page's subscription,
    // which must not come back (its first retry would be 500 ms later). Counted below: every
    // click streams once.
    await page.selectOption('#account', 'waba-other');
    await expect.poll(() => page.locator('#total').innerText(), { timeout: 10_000 }).toBe('1');
    await page.selectOption('#account', ACCOUNT);
    await page.selectOption('#account', ACCOUNT);
    await expect.poll(() => page.locator('#total').innerText(), { timeout: 10_000 }).toBe('15');
    await sleep(1_000);

    // The numbers are the API's.
    const answer = (await graphql(api, STATS, { a: ACCOUNT }, KEY)).data;
    const buckets = (list: { key: string | null; count: number }[]) =>
      list.map((b) => [b.key ?? '(none)', String(b.count)]);
    expect(await page.locator('#total').innerText()).toBe(String(answer.clickStats.total));
    expect(await rows(page, 'components')).toEqual(buckets(answer.clickStats.byComponent));
    expect(await rows(page, 'products')).toEqual(buckets(answer.clickStats.byProduct));
    expect((await rows(page, 'funnel')).map(([name, count]) => [name, count])).toEqual(
      answer.clickFunnel.steps.map((s: { name: string; count: number }) => [
        s.name,
        String(s.count),
      ]),
    );
    expect(answer.clickFunnel.steps.map((s: { count: number }) => s.count)).toEqual([0, 12, 3, 0]);
    expect((await rows(page, 'latest')).length).toBe(15);
    expect(await page.locator('#last-hour').innerText()).toBe('15');
    // Chromium's ICU names it by its older spelling.
    expect(await page.locator('#zone').innerText()).toMatch(/^Asia\/Kath?mandu$/);
    mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', TEST_OUTPUT).pathname, fullPage: true });
    const counter = (name: string) => async () =>
      Number(await page.locator('#dashboard').getAttribute(`data-${name}`));
    const streamedCount = counter('streamed');
    const loadedCount = counter('loaded');
    const loadedFirst = await loadedCount();
    await page.click('#view-week');
    await expect.poll(() => page.locator('#range-name').innerText()).toBe('week');
    // (A reload of the minute may land too.)
    await expect.poll(loadedCount, { timeout: 10_000 }).toBeGreaterThan(loadedFirst);

    // A click sent now shows within 2 s, while the page is reloading (the day view): the
    // reload's summary is read before the click is stored and answers after the stream brought
    // it. The click stays shown and counted when that older answer lands.
    let summaryRead!: () => void;
    let release!: () => void;
    let fulfilled!: () => void;
    const read = new Promise<void>((resolve) => (summaryRead = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const answered = new Promise<void>((resolve) => (fulfilled = resolve));
    await page.route(
      `${base}/graphql`,
      async (route) => {
        if (!route.request().postData()?.includes('query Summary')) return route.fallback();
        const response = await route.fetch();
        summaryRead();
        await released;
        await route.fulfill({ response });
        fulfilled();
      },
      { times: 1 },
    );
    const loadedBefore = await loadedCount();
    const streamedBefore = (await streamedCount()) + 1;
    await page.click('#view-day');
    await read;
    await post([sampleClickAction({ click_id: 'other-1' })], 'waba-other');
    const sent = Date.now();
    await post([sampleClickAction({ click_id: 'live-1', product_id: 'sku_9' })]);
    await page.locator('#latest td', { hasText: 'live-1' }).waitFor({ timeout: 2_000 });
    const shownMs = Date.now() - sent;
    expect(await page.locator('#total').innerText()).toBe('16');
    await expect.poll(streamedCount, { timeout: 10_000 }).toBe(streamedBefore);
    release();
    await answered;
    await expect.poll(loadedCount, { timeout: 10_000 }).toBeGreaterThan(loadedBefore);
    expect(await page.locator('#range-name').innerText()).toBe('day');
    expect(await page.locator('#total').innerText()).toBe('16');
    expect((await rows(page, 'latest')).filter((r) => r[4] === 'live-1').length).toBe(1);

    // Cut the websocket; clicks arrive meanwhile; they all show, once, after the reconnect.
    await relay.cut();
    await page.locator('#status[data-state="reconnecting…"]').waitFor({ timeout: 5_000 });
    const missed = Array.from({ length: 5 }, (_, i) => `gap-${i}`);
    await post(missed.map((id) => sampleClickAction({ click_id: id })));
    await sleep(1_000);
    await relay.restore();
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    await expect
      .poll(
        async () => (await rows(page, 'latest')).filter((r) => missed.includes(r[4] ?? '')).length,
        {
          timeout: 10_000,
        },
      )
      .toBe(5);
    await expect.poll(() => page.locator('#total').innerText()).toBe('21');
    const streamed = await streamedCount();
    // The stream resumed after the last click it had: exactly the 5 missed, none twice.
    expect(streamed - streamedBefore).toBe(5);
    await page.screenshot({
      path: new URL('dashboard-reconnected.png', TEST_OUTPUT).pathname,
      fullPage: true,
    });

    // The key entered again: a new client and subscription, the old ones gone for good.
    await page.fill('#key', KEY);
    await page.click('#key-form button');
    await expect.poll(() => page.locator('#total').innerText(), { timeout: 10_000 }).toBe('21');
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
    await sleep(1_000);
    const streamedAgain = await streamedCount();
    await post([sampleClickAction({ click_id: 'after-key' })]);
    await page.locator('#latest td', { hasText: 'after-key' }).waitFor({ timeout: 5_000 });
    await expect.poll(() => page.locator('#total').innerText()).toBe('22');
    await sleep(500);
    expect((await streamedCount()) - streamedAgain).toBe(1);

    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    console.log(`dashboard: a new click showed in ${shownMs} ms`);
    await context.close();
  }, 90_000);
});
