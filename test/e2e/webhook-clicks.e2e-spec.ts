// What the webhook stores and emits on every database: batches with malformed actions, Meta's
// retries, concurrent deliveries, unicode, a storage outage, a full delivery.
import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets } from '../support/databases.js';
import { handedOn } from '../support/outbox.js';
import { webhookServer } from '../support/webhook-server.js';
import { postWebhook, postWebhooksAtOnce } from '../support/webhooks.js';

const targets = await databaseTargets();

describe.each(targets)('webhook clicks on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('stored and emitted', () => {
    const s = webhookServer(target);

    describe('POST', () => {
      it('stores every valid action of a batch, keeps malformed ones as rejected, emits per new', async () => {
        const before = await s.counts();
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

        const answer = await postWebhook(s.webhook, body);

        expect(answer.status).toBe(200);
        expect(answer.json).toEqual({ stored: 3, duplicates: 0, rejected: 1, ignored: 0 });
        const rows = (await s.clickRows()).filter((r) => r.business_account_id === account);
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

        const rejected = (await s.rejectionRows()).slice(before.rejected);
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

        await handedOn(s.app);

        expect(s.events.map((e) => e.clickEvent.clickId)).toEqual(['b1', 'b2', null]);
        await handedOn(s.app);
        expect(s.events[0]!.clickEvent).toMatchObject({
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
        expect((await postWebhook(s.webhook, body)).json).toMatchObject({ stored: 2 });
        const before = await s.counts();
        await handedOn(s.app);
        s.events = [];

        // Meta retries with the same bytes, or re-encodes the same delivery.
        const again = await postWebhook(s.webhook, body);
        const reencoded = await postWebhook(s.webhook, JSON.stringify(body, null, 2));

        expect(again.status).toBe(200);
        expect(again.json).toEqual({ stored: 0, duplicates: 2, rejected: 0, ignored: 0 });
        expect(reencoded.json).toEqual({ stored: 0, duplicates: 2, rejected: 0, ignored: 0 });
        expect(await s.counts()).toEqual(before);
        await handedOn(s.app);
        expect(s.events).toEqual([]);
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
          const before = await s.counts();

          const answers =
            how === 'fetch'
              ? await Promise.all(
                  Array.from({ length: 10 }, () => postWebhook(s.webhook, JSON.stringify(body))),
                )
              : await postWebhooksAtOnce(s.webhook, Array(10).fill(body));

          expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
          expect(answers.reduce((sum, a) => sum + a.json.stored, 0)).toBe(2);
          expect(answers.reduce((sum, a) => sum + a.json.duplicates, 0)).toBe(18);
          expect((await s.counts()).clicks).toBe(before.clicks + 2);
          await handedOn(s.app);
          expect(s.events).toHaveLength(2);
        },
      );

      it('answers each of many concurrent deliveries with its own outcome', async () => {
        const known = sampleClickAction({ click_id: `known-${target.kind}` });
        await postWebhook(s.webhook, sampleClickDelivery({ actions: [known] }));
        const before = await s.counts();
        await handedOn(s.app);
        s.events = [];
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
          s.webhook,
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
        expect(await s.counts()).toEqual({
          clicks: before.clicks + 40,
          rejected: before.rejected + 10,
        });
        await handedOn(s.app);
        expect(s.events.map((e) => e.clickEvent.clickId).sort()).toEqual(
          deliveries.map((_, i) => `many-${target.kind}-${i}`).sort(),
        );
      });

      it('verifies and stores escaped unicode and emoji exactly', async () => {
        const body =
          '{"object":"whatsapp_business_account","entry":[{"id":"waba-unicode","changes":[{"field":"messages",' +
          '"value":{"metadata":{"phone_number_id":"p","display_phone_number":"+49 \\u00fc"},"user_actions":[' +
          '{"action_type":"marketing_messages_link_click","timestamp":"1763700000","marketing_messages_link_click_data":' +
          '{"click_id":"\\ud83d\\ude00-emoji","product_id":"caf\\u00e9 ☕","click_component":"cta"}}]}}]}]}';

        const answer = await postWebhook(s.webhook, body);

        expect(answer.status).toBe(200);
        const [row] = (await s.clickRows()).filter((r) => r.business_account_id === 'waba-unicode');
        expect(row).toMatchObject({
          click_id: '😀-emoji',
          product_id: 'café ☕',
          display_phone_number: '+49 ü',
        });
      });

      it('answers 503 with nothing written while storage is down, then stores the retry', async () => {
        const before = await s.counts();
        const body = sampleClickDelivery({
          actions: [
            sampleClickAction({ click_id: `outage-${target.kind}` }),
            { action_type: 'marketing_messages_link_click' }, // a rejection must not be half-written either
          ],
        });

        await s.db.makeUnavailable();
        let down: Awaited<ReturnType<typeof postWebhook>>;
        try {
          down = await postWebhook(s.webhook, body);
        } finally {
          await s.db.restore();
        }

        expect(down.status).toBe(503);
        expect(await s.counts()).toEqual(before);
        await handedOn(s.app);
        expect(s.events).toEqual([]);

        const retried = await postWebhook(s.webhook, body);
        expect(retried.status).toBe(200);
        expect(retried.json).toEqual({ stored: 1, duplicates: 0, rejected: 1, ignored: 0 });
        expect(await s.counts()).toEqual({
          clicks: before.clicks + 1,
          rejected: before.rejected + 1,
        });
        await handedOn(s.app);
        expect(s.events.map((e) => e.clickEvent.clickId)).toEqual([`outage-${target.kind}`]);
      });

      it('stores all 1000 actions of a full delivery in one request', async () => {
        const before = await s.counts();
        const actions = Array.from({ length: 1000 }, (_, i) =>
          sampleClickAction({ click_id: `bulk-${target.kind}-${i}` }),
        );
        const answer = await postWebhook(s.webhook, sampleClickDelivery({ actions }));
        expect(answer.json).toEqual({ stored: 1000, duplicates: 0, rejected: 0, ignored: 0 });
        expect((await s.counts()).clicks).toBe(before.clicks + 1000);
        await handedOn(s.app);
        expect(s.events).toHaveLength(1000);
      });
    });
  });
});
