// The webhook's answers on every database, as the contract's table has them: the handshake,
// signatures, size, bodies that are not JSON or not clicks.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets } from '../support/databases.js';
import { handedOn } from '../support/outbox.js';
import { webhookServer } from '../support/webhook-server.js';
import { postWebhook, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

const targets = await databaseTargets();
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe.each(targets)('webhook answers on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('contract table', () => {
    const s = webhookServer(target);

    describe('GET handshake', () => {
      const handshake = (query: string) => fetch(`${s.webhook}?${query}`);

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
        const before = await s.counts();
        const body = sampleClickDelivery({ actions: [sampleClickAction()] });

        expect((await postWebhook(s.webhook, body, { secret: null })).status).toBe(401);
        expect((await postWebhook(s.webhook, body, { secret: 'another-secret' })).status).toBe(401);
        expect((await postWebhook(s.webhook, body, { signature: 'sha256=00' })).status).toBe(401);
        // Unsigned garbage is 401 too: the signature is checked before the body is read as JSON.
        expect((await postWebhook(s.webhook, '{not json', { secret: null })).status).toBe(401);

        expect(await s.counts()).toEqual(before);
        await handedOn(s.app);
        expect(s.events).toEqual([]);
      });

      it('answers 413 above 3 MB and stores nothing; accepts a signed body just below', async () => {
        const before = await s.counts();
        const tooBig = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
        expect((await postWebhook(s.webhook, tooBig)).status).toBe(413);
        expect(await s.counts()).toEqual(before);

        // Meta's largest deliveries must pass every parser on the way.
        const action = sampleClickAction({ click_id: `large-${Date.now()}` });
        const body = JSON.stringify(sampleClickDelivery({ actions: [action] }));
        const padded = body.replace(/}$/, `,"padding":"${'x'.repeat(2_900_000)}"}`);
        const answer = await postWebhook(s.webhook, padded);
        expect(answer.status).toBe(200);
        expect(answer.json).toMatchObject({ stored: 1 });
      });

      it('answers 400 to a signed body that is not JSON and keeps its raw bytes', async () => {
        const before = await s.counts();
        const body = Buffer.from('{"object": "whatsapp_business_account", "entry": [ é');

        const answer = await postWebhook(s.webhook, body);

        expect(answer.status).toBe(400);
        expect(answer.json.message).toMatch(/not JSON/);
        const rows = await s.rejectionRows();
        expect(rows).toHaveLength(before.rejected + 1);
        expect(rows.at(-1)).toMatchObject({
          kind: 'body',
          payload: body.toString('utf8'),
          payload_encoding: 'utf8',
          reason: expect.stringMatching(/^body is not JSON/),
        });
        expect((await s.counts()).clicks).toBe(before.clicks);
      });

      it('keeps a signed body of bytes that are not UTF-8 as base64', async () => {
        const body = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
        expect((await postWebhook(s.webhook, body)).status).toBe(400);
        expect((await s.rejectionRows()).at(-1)).toMatchObject({
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
        const answer = await postWebhook(s.webhook, body);
        expect(answer.status).toBe(200);
        expect(answer.json).toEqual({ stored: 1, duplicates: 0, rejected: 1, ignored: 0 });
        const rejected = (await s.rejectionRows()).at(-1)!;
        expect(
          JSON.parse(rejected.payload as string).action.marketing_messages_link_click_data.click_id,
        ).toBe(`nul-${target.kind}\u0000`);
      });

      it('acknowledges JSON of another shape or field with 200 and stores nothing', async () => {
        const before = await s.counts();
        for (const body of [
          fixture('incoming-message.json'),
          { object: 'page', entry: [] },
          [1, 2, 3],
          '"just a string"',
        ]) {
          const answer = await postWebhook(s.webhook, body);
          expect(answer.status).toBe(200);
          expect(answer.json).toEqual({ stored: 0, duplicates: 0, rejected: 0, ignored: 1 });
        }
        expect(await s.counts()).toEqual(before);
        await handedOn(s.app);
        expect(s.events).toEqual([]);
      });
    });
  });
});
