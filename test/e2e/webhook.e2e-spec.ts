import type { INestApplication } from '@nestjs/common';
import { handedOn } from '../support/outbox.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, ClickEventReceived } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { postWebhook, postWebhooksAtOnce, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

const targets = await databaseTargets();
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe.each(targets)('webhook on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('contract table', () => {
    let db: TestDatabase;
    let app: INestApplication;
    let webhook: string;
    let events: ClickEventReceived[];

    beforeAll(async () => {
      db = await target.create();
      ({ app, webhook } = await startTestServer({ DATABASE_URL: db.url }));
      app.get(EventEmitter2).on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) => {
        events.push(event);
      });
    });

    afterAll(async () => {
      await app?.close();
      await db?.dispose();
    });

    beforeEach(async () => {
      // Handlers run after the answer: the previous test's clicks must not reach this one.
      await handedOn(app);
      events = [];
    });

    const clickRows = () =>
      db.rows<Record<string, unknown>>('SELECT * FROM "click_events" ORDER BY "id"');
    const rejectionRows = () =>
      db.rows<Record<string, unknown>>('SELECT * FROM "rejected_deliveries" ORDER BY "id"');
    const counts = async () => ({
      clicks: await db.count('click_events'),
      rejected: await db.count('rejected_deliveries'),
    });

    describe('GET handshake', () => {
      const handshake = (query: string) => fetch(`${webhook}?${query}`);

      it('answers 200 with the challenge verbatim as text/plain', async () => {
        const challenge = '1158201444 ü+/=&?';
        const response = await handshake(
          `hub.mode=subscribe&hub.challenge=${encodeURIComponent(challenge)}&hub.verify_token=${TEST_VERIFY_TOKEN}`,
        );
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(await response.text()).toBe(challenge);
      });

      it.each([
        ['a wrong token', `hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`],
        [
          'another mode',
          `hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${TEST_VERIFY_TOKEN}`,
        ],
        ['no token', `hub.mode=subscribe&hub.challenge=1`],
        ['no challenge', `hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}`],
        ['nothing', ''],
      ])('answers 403 to %s', async (_name, query) => {
        expect((await handshake(query)).status).toBe(403);
      });
    });

    describe('POST', () => {
      it('answers 401 without a signature, or with a wrong one, and stores nothing', async () => {
        const before = await counts();
        const body = sampleClickDelivery({ actions: [sampleClickAction()] });

        expect((await postWebhook(webhook, body, { secret: null })).status).toBe(401);
        expect((await postWebhook(webhook, body, { secret: 'another-secret' })).status).toBe(401);
        expect((await postWebhook(webhook, body, { signature: 'sha256=00' })).status).toBe(401);
        // Unsigned garbage is 401 too: the signature is checked before the body is read as JSON.
        expect((await postWebhook(webhook, '{not json', { secret: null })).status).toBe(401);

        expect(await counts()).toEqual(before);
        await handedOn(app);
        expect(events).toEqual([]);
      });

      it('answers 413 above 3 MB and stores nothing; accepts a signed body just below', async () => {
        const before = await counts();
        const tooBig = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
        expect((await postWebhook(webhook, tooBig)).status).toBe(413);
        expect(await counts()).toEqual(before);

        // Meta's largest deliveries must pass every parser on the way.
        const action = sampleClickAction({ click_id: `large-${Date.now()}` });
        const body = JSON.stringify(sampleClickDelivery({ actions: [action] }));
        const padded = body.replace(/}$/, `,"padding":"${'x'.repeat(2_900_000)}"}`);
        const answer = await postWebhook(webhook, padded);
        expect(answer.status).toBe(200);
        expect(answer.json).toMatchObject({ stored: 1 });
      });

      it('answers 400 to a signed body that is not JSON and keeps its raw bytes', async () => {
        const before = await counts();
        const body = Buffer.from('{"object": "whatsapp_business_account", "entry": [ é');

        const answer = await postWebhook(webhook, body);

        expect(answer.status).toBe(400);
        expect(answer.json.message).toMatch(/not JSON/);
        const rows = await rejectionRows();
        expect(rows).toHaveLength(before.rejected + 1);
        expect(rows.at(-1)).toMatchObject({
          kind: 'body',
          payload: body.toString('utf8'),
          payload_encoding: 'utf8',
          reason: expect.stringMatching(/^body is not JSON/),
        });
        expect((await counts()).clicks).toBe(before.clicks);
      });

      it('keeps a signed body of bytes that are not UTF-8 as base64', async () => {
        const body = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
        expect((await postWebhook(webhook, body)).status).toBe(400);
        expect((await rejectionRows()).at(-1)).toMatchObject({
          kind: 'body',
          payload: body.toString('base64'),
          payload_encoding: 'base64',
        });
      });

      it('keeps an action with a NUL character as rejected instead of failing the delivery', async () => {
        const body = sampleClickDelivery({
          actions: [
            sampleClickAction({ click_id: `nul-${target.kind}\u0000` }),
            sampleClickAction({ click_id: `fine-${target.kind}` }),
          ],
        });
        const answer = await postWebhook(webhook, body);
        expect(answer.status).toBe(200);
        expect(answer.json).toEqual({ stored: 1, duplicates: 0, rejected: 1, ignored: 0 });
        const rejected = (await rejectionRows()).at(-1)!;
        expect(
          JSON.parse(rejected.payload as string).action.marketing_messages_link_click_data.click_id,
        ).toBe(`nul-${target.kind}\u0000`);
      });

      it('acknowledges JSON of another shape or field with 200 and stores nothing', async () => {
        const before = await counts();
        for (const body of [
          fixture('incoming-message.json'),
          { object: 'page', entry: [] },
          [1, 2, 3],
          '"just a string"',
        ]) {
          const answer = await postWebhook(webhook, body);
          expect(answer.status).toBe(200);
          expect(answer.json).toEqual({ stored: 0, duplicates: 0, rejected: 0, ignored: 1 });
        }
        expect(await counts()).toEqual(before);
        await handedOn(app);
        expect(events).toEqual([]);
      });

      it('stores every valid action of a batch, keeps malformed ones as rejected, emits per new', async () => {
        const before = await counts();
        const account = `waba-batch-${target.kind}`;
        const first = sampleClickDelivery({
          businessAccountId: account,
          phoneNumberId: 'phone-1',
          actions: [
            sampleClickAction({ click_id: 'b1', click_component: 'cta', timestamp: '1763700000' }),
            { action_type: 'marketing_messages_link_click' }, // no timestamp
            sampleClickAction({ click_id: 'b2', click_component: 'body', timestamp: 1763700060 }),
          ],
        });
        const second = sampleClickDelivery({
          businessAccountId: account,
          phoneNumberId: 'phone-2',
          displayPhoneNumber: '+1 555 0100',
          actions: [
            {
              action_type: 'landing_page_view',
              timestamp: 1763700120,
              landing_page_view_data: { a: 1 },
            },
          ],
        });
        const body = {
          object: 'whatsapp_business_account',
          entry: [...(first.entry as object[]), ...(second.entry as object[])],
        };

        const answer = await postWebhook(webhook, body);

        expect(answer.status).toBe(200);
        expect(answer.json).toEqual({ stored: 3, duplicates: 0, rejected: 1, ignored: 0 });
        const rows = (await clickRows()).filter((r) => r.business_account_id === account);
        expect(
          rows.map((r) => [
            r.click_id,
            r.click_component,
            r.phone_number_id,
            Number(r.occurred_at),
          ]),
        ).toEqual([
          ['b1', 'cta', 'phone-1', 1_763_700_000_000],
          ['b2', 'body', 'phone-1', 1_763_700_060_000],
          [null, null, 'phone-2', 1_763_700_120_000],
        ]);
        expect(rows[2]).toMatchObject({
          action_type: 'landing_page_view',
          display_phone_number: '+1 555 0100',
        });
        expect(JSON.parse(rows[2]!.extra as string)).toEqual({ landing_page_view_data: { a: 1 } });

        const rejected = (await rejectionRows()).slice(before.rejected);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]).toMatchObject({
          kind: 'action',
          business_account_id: account,
          path: 'entry[0].changes[0].user_actions[1]',
          reason: 'timestamp is missing',
        });
        expect(JSON.parse(rejected[0]!.payload as string)).toMatchObject({
          entry_id: account,
          action: { action_type: 'marketing_messages_link_click' },
        });

        await handedOn(app);

        expect(events.map((e) => e.clickEvent.clickId)).toEqual(['b1', 'b2', null]);
        await handedOn(app);
        expect(events[0]!.clickEvent).toMatchObject({
          id: String(rows[0]!.id),
          businessAccountId: account,
          occurredAt: new Date(1_763_700_000_000),
        });
      });

      it('stores the same action again as nothing new and emits nothing', async () => {
        const body = sampleClickDelivery({
          actions: [
            sampleClickAction({ click_id: `retry-${target.kind}` }),
            { action_type: 'x', timestamp: 5 },
          ],
        });
        expect((await postWebhook(webhook, body)).json).toMatchObject({ stored: 2 });
        const before = await counts();
        await handedOn(app);
        events = [];

        // Meta retries with the same bytes, or re-encodes the same delivery.
        const again = await postWebhook(webhook, body);
        const reencoded = await postWebhook(webhook, JSON.stringify(body, null, 2));

        expect(again.status).toBe(200);
        expect(again.json).toEqual({ stored: 0, duplicates: 2, rejected: 0, ignored: 0 });
        expect(reencoded.json).toEqual({ stored: 0, duplicates: 2, rejected: 0, ignored: 0 });
        expect(await counts()).toEqual(before);
        await handedOn(app);
        expect(events).toEqual([]);
      });

      it.each([
        ['as the connections come', 'fetch'],
        ['all read in one turn (one SQLite group)', 'at-once'],
      ])(
        'stores one row and emits one event for ten concurrent copies of a new delivery, %s',
        async (_name, how) => {
          const body = sampleClickDelivery({
            actions: [
              sampleClickAction({ click_id: `concurrent-${target.kind}-${how}` }),
              // No click_id: known by its fields, so each variant has its own timestamp.
              {
                action_type: 'marketing_messages_link_click',
                timestamp: how === 'fetch' ? 1763700999 : 1763700998,
              },
            ],
          });
          const before = await counts();

          const answers =
            how === 'fetch'
              ? await Promise.all(
                  Array.from({ length: 10 }, () => postWebhook(webhook, JSON.stringify(body))),
                )
              : await postWebhooksAtOnce(webhook, Array(10).fill(body));

          expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
          expect(answers.reduce((sum, a) => sum + a.json.stored, 0)).toBe(2);
          expect(answers.reduce((sum, a) => sum + a.json.duplicates, 0)).toBe(18);
          expect((await counts()).clicks).toBe(before.clicks + 2);
          await handedOn(app);
          expect(events).toHaveLength(2);
        },
      );

      it('answers each of many concurrent deliveries with its own outcome', async () => {
        const known = sampleClickAction({ click_id: `known-${target.kind}` });
        await postWebhook(webhook, sampleClickDelivery({ actions: [known] }));
        const before = await counts();
        await handedOn(app);
        events = [];
        // SQLite commits the deliveries that arrive together in one transaction: each answer
        // must still be its own delivery's.
        const deliveries = Array.from({ length: 40 }, (_, i) => {
          const fresh = sampleClickAction({ click_id: `many-${target.kind}-${i}` });
          if (i % 4 === 1)
            return { actions: [fresh, known], expected: { stored: 1, duplicates: 1 } };
          if (i % 4 === 2) {
            return {
              actions: [fresh, { action_type: 'marketing_messages_link_click' }],
              expected: { stored: 1, rejected: 1 },
            };
          }
          return { actions: [fresh], expected: { stored: 1 } };
        });

        const answers = await postWebhooksAtOnce(
          webhook,
          deliveries.map(({ actions }) => sampleClickDelivery({ actions })),
        );

        answers.forEach((answer, i) => {
          expect(answer.status).toBe(200);
          expect(answer.json).toEqual({
            duplicates: 0,
            rejected: 0,
            ignored: 0,
            ...deliveries[i]!.expected,
          });
        });
        expect(await counts()).toEqual({
          clicks: before.clicks + 40,
          rejected: before.rejected + 10,
        });
        await handedOn(app);
        expect(events.map((e) => e.clickEvent.clickId).sort()).toEqual(
          deliveries.map((_, i) => `many-${target.kind}-${i}`).sort(),
        );
      });

      it('verifies and stores escaped unicode and emoji exactly', async () => {
        const body =
          '{"object":"whatsapp_business_account","entry":[{"id":"waba-unicode","changes":[{"field":"messages",' +
          '"value":{"metadata":{"phone_number_id":"p","display_phone_number":"+49 \\u00fc"},"user_actions":[' +
          '{"action_type":"marketing_messages_link_click","timestamp":"1763700000","marketing_messages_link_click_data":' +
          '{"click_id":"\\ud83d\\ude00-emoji","product_id":"caf\\u00e9 ☕","click_component":"cta"}}]}}]}]}';

        const answer = await postWebhook(webhook, body);

        expect(answer.status).toBe(200);
        const [row] = (await clickRows()).filter((r) => r.business_account_id === 'waba-unicode');
        expect(row).toMatchObject({
          click_id: '😀-emoji',
          product_id: 'café ☕',
          display_phone_number: '+49 ü',
        });
      });

      it('answers 503 with nothing written while storage is down, then stores the retry', async () => {
        const before = await counts();
        const body = sampleClickDelivery({
          actions: [
            sampleClickAction({ click_id: `outage-${target.kind}` }),
            { action_type: 'marketing_messages_link_click' }, // a rejection must not be half-written either
          ],
        });

        await db.makeUnavailable();
        let down: Awaited<ReturnType<typeof postWebhook>>;
        try {
          down = await postWebhook(webhook, body);
        } finally {
          await db.restore();
        }

        expect(down.status).toBe(503);
        expect(await counts()).toEqual(before);
        await handedOn(app);
        expect(events).toEqual([]);

        const retried = await postWebhook(webhook, body);
        expect(retried.status).toBe(200);
        expect(retried.json).toEqual({ stored: 1, duplicates: 0, rejected: 1, ignored: 0 });
        expect(await counts()).toEqual({
          clicks: before.clicks + 1,
          rejected: before.rejected + 1,
        });
        await handedOn(app);
        expect(events.map((e) => e.clickEvent.clickId)).toEqual([`outage-${target.kind}`]);
      });

      it('stores all 1000 actions of a full delivery in one request', async () => {
        const before = await counts();
        const actions = Array.from({ length: 1000 }, (_, i) =>
          sampleClickAction({ click_id: `bulk-${target.kind}-${i}` }),
        );
        const answer = await postWebhook(webhook, sampleClickDelivery({ actions }));
        expect(answer.json).toEqual({ stored: 1000, duplicates: 0, rejected: 0, ignored: 0 });
        expect((await counts()).clicks).toBe(before.clicks + 1000);
        await handedOn(app);
        expect(events).toHaveLength(1000);
      });
    });
  });
});
