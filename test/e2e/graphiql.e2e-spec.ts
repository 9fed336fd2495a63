// The IDE as a person uses it: headless Chromium opens /graphql of a running server with no
// internet, runs the default query, and the answer shows on the page.
import type { INestApplication } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { chromiumPresent, launchChromium, TEST_OUTPUT } from '../support/browser.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const hasChromium = chromiumPresent('the GraphiQL browser test');

describe.skipIf(!hasChromium)('GraphiQL in a browser', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    db = await sqliteDatabase();
    ({ app, base } = await startTestServer({ DATABASE_URL: db.url }));
    // The account the IDE's default query reads.
    const actions = Array.from({ length: 7 }, (_, i) =>
      sampleClickAction({ click_id: `ide-${i}` }),
    );
    await postWebhook(
      `${base}/webhooks/whatsapp`,
      sampleClickDelivery({ businessAccountId: '102290129340398', actions }),
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.dispose();
  });

  it('loads from the server alone and shows the answer of the default query', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${base}/graphql`);
    await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
    const response = page.locator('.graphiql-response');
    await expect
      .poll(async () => (await response.innerText()).replace(/\s+/g, ' '), { timeout: 20_000 })
      .toMatch(/"totalCount": 7/);
    // The response pane renders only the lines in view: the top of the answer.
    expect(await response.innerText()).toMatch(/"clickId": "ide-\d"/);

    mkdirSync(TEST_OUTPUT, { recursive: true });
    await page.screenshot({ path: new URL('graphiql.png', TEST_OUTPUT).pathname });
    const foreign = requested.filter((url) => !url.startsWith(base) && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
  });

  it('runs a subscription over graphql-ws and shows a click as it is stored', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${base}/graphql`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
    // Replace the default operation as a person would: select all, paste.
    await page.locator('.graphiql-query-editor .CodeMirror').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(
      'subscription Live { clickEventReceived(businessAccountId: "102290129340398") { clickId productId } }',
    );
    // GraphiQL reads the operation's name from the editor after a short debounce.
    await expect
      .poll(() =>
        page.evaluate(() => {
          const storage = (globalThis as { localStorage?: { getItem(key: string): string | null } })
            .localStorage;
          return storage?.getItem('graphiql:tabState') ?? '';
        }),
      )
      .toContain('"operationName":"Live"');
    await page.locator('.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');

    // The subscription is registered once GraphiQL's socket is up; keep clicking until one shows.
    let sent = 0;
    await expect
      .poll(
        async () => {
          await postWebhook(
            `${base}/webhooks/whatsapp`,
            sampleClickDelivery({
              businessAccountId: '102290129340398',
              actions: [
                sampleClickAction({ click_id: `live-ide-${sent++}`, product_id: 'sku_live' }),
              ],
            }),
          );
          return (await response.innerText()).replace(/\s+/g, ' ');
        },
        { timeout: 20_000, interval: 500 },
      )
      .toMatch(/"clickId": "live-ide-\d+", "productId": "sku_live"/);
    await page.screenshot({ path: new URL('graphiql-subscription.png', TEST_OUTPUT).pathname });
  });
});
