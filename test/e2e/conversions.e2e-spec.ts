import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { serverForSuite, startTestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const SHOP = 'https://shop.example';
const KEY = 'conversions-server-key';

describe.each(targets)('conversions on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let base: string;
    let webhook: string;
    let url: string;
    const account = `conv-${target.kind}`;

    const send = async (body: unknown, headers: Record<string, string> = { origin: SHOP }) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        headers: response.headers,
        json: (await response.json()) as any,
      };
    };
    const rows = () =>
      db.rows<{ click_id: string; event: string; value: number | null; source: string }>(
        `SELECT "click_id", "event", "value", "currency", "source" FROM "click_conversions" ORDER BY "id"`,
      );

    beforeAll(async () => {
      db = await target.create();
      ({ app, base, webhook } = await startTestServer({
        DATABASE_URL: db.url,
        CLICKS_CONVERSIONS: 'true',
        CLICKS_CONVERSIONS_ORIGINS: SHOP,
        CLICKS_CONVERSIONS_KEYS: KEY,
        CLICKS_CONVERSIONS_PER_MINUTE: '5',
      }));
      url = `${base}/webhooks/whatsapp/conversions`;
    });
    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    it('answers a CORS preflight for allowed origins only', async () => {
      const preflight = (origin: string) =>
        fetch(url, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
      const allowed = await preflight(SHOP);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
      expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type');
      const other = await preflight('https://evil.example');
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('stores a beacon before its click, once, and joins it when the click comes', async () => {
      const landing = { clickId: `${account}-c1`, event: 'landing_page_view', id: 'lpv-1' };
      const first = await send(landing);
      expect(first.status).toBe(200);
      expect(first.headers.get('access-control-allow-origin')).toBe(SHOP);
      expect(first.json).toEqual({ stored: 1, duplicates: 0, rejected: [] });
      expect((await send(landing)).json).toEqual({ stored: 0, duplicates: 1, rejected: [] });

      const delivery = sampleClickDelivery({
        businessAccountId: account,
        actions: [sampleClickAction({ click_id: `${account}-c1` })],
      });
      expect((await postWebhook(webhook, delivery)).status).toBe(200);
      const joined = await db.rows<{ account: string; event: string }>(
        `SELECT e."business_account_id" AS "account", c."event" FROM "click_conversions" c ` +
          `JOIN "click_events" e ON e."click_id" = c."click_id" WHERE c."click_id" = '${account}-c1'`,
      );
      expect(joined).toEqual([{ account, event: 'landing_page_view' }]);
    });

    it('takes batches from a server with its key, keeping the valid ones and naming the rest', async () => {
      const at = '2026-11-30T10:00:00.000Z';
      const answer = await send(
        [
          {
            clickId: `${account}-c1`,
            event: 'purchase',
            value: 42.5,
            currency: 'EUR',
            occurredAt: at,
          },
          { clickId: `${account}-unknown`, event: 'purchase', value: 10, currency: 'EUR' },
          { clickId: `${account}-c1`, event: 'purchase', currency: 'euro' },
          { clickId: `${account}-c1`, event: 'purchase', occurredAt: 'yesterday' },
          { event: 'purchase', coupon: 'X' },
        ],
        { authorization: `Bearer ${KEY}` },
      );
      expect(answer.status).toBe(200);
      expect(answer.json.stored).toBe(2);
      expect(answer.json.rejected).toEqual([
        { index: 2, reason: 'currency must be an ISO 4217 code such as EUR' },
        { index: 3, reason: 'occurredAt "yesterday" is not an ISO 8601 date-time' },
        { index: 4, reason: expect.stringMatching(/clickId|coupon/) },
      ]);
      // The same purchase again (same click, event and time): a duplicate.
      const again = await send(
        [
          {
            clickId: `${account}-c1`,
            event: 'purchase',
            value: 42.5,
            currency: 'EUR',
            occurredAt: at,
          },
        ],
        { authorization: `Bearer ${KEY}` },
      );
      expect(again.json).toEqual({ stored: 0, duplicates: 1, rejected: [] });
      const none = await send([{ event: 'x' }], { authorization: `Bearer ${KEY}` });
      expect(none.status).toBe(400);
      expect(none.json.rejected).toHaveLength(1);
      expect((await send('not a conversion', { authorization: `Bearer ${KEY}` })).status).toBe(400);

      expect(await rows()).toEqual([
        expect.objectContaining({ event: 'landing_page_view', source: 'beacon', value: null }),
        expect.objectContaining({
          click_id: `${account}-c1`,
          event: 'purchase',
          value: 42.5,
          source: 'server',
        }),
        expect.objectContaining({ click_id: `${account}-unknown`, value: 10 }),
      ]);
    });

    it('refuses callers that are neither an allowed origin nor a known key', async () => {
      const conversion = { clickId: 'c', event: 'purchase' };
      expect((await send(conversion, {})).status).toBe(401);
      expect((await send(conversion, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await send(conversion, { origin: 'https://evil.example' })).status).toBe(403);
    });

    it('limits beacons per address and minute (429 with Retry-After), never servers', async () => {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i++) {
        const answer = await send({ clickId: `${account}-r${i}`, event: 'view_item' });
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = answer.headers.get('retry-after');
      }
      // 5 a minute, two of them used above.
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      const server = await send(
        { clickId: `${account}-s`, event: 'purchase' },
        {
          authorization: `Bearer ${KEY}`,
        },
      );
      expect(server.status).toBe(200);
    });

    it('serves /clicks.js, which reports to this endpoint', async () => {
      const response = await fetch(`${base}/clicks.js`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/javascript/);
      const script = await response.text();
      expect(script).toContain('"/webhooks/whatsapp/conversions"');
      expect(script).toContain("report('landing_page_view'");
    });
  });
});

describe('without conversions turned on', () => {
  const suite = serverForSuite();

  it('has no conversions endpoint and no /clicks.js', async () => {
    const response = await fetch(`${suite.server.base}/webhooks/whatsapp/conversions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: SHOP },
      body: JSON.stringify({ clickId: 'c', event: 'purchase' }),
    });
    expect(response.status).toBe(404);
    expect((await fetch(`${suite.server.base}/clicks.js`)).status).toBe(404);
  });
});
