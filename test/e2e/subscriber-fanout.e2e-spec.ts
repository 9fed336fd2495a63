// The webhook never waits for live subscribers: with thousands of slow ones on the in-process
// engine, Meta's answer is written before the first of them is handed a click.
import { describe, expect, it } from 'vitest';
import { type ClickPubSub, clickChannel, WHATSAPP_CLICKS_PUBSUB } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { serverForSuite } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

describe('live fan-out', () => {
  const suite = serverForSuite();

  it('answers a 2-click webhook before 2,000 slow subscribers get anything', async () => {
    const pubSub = suite.server.app.get<ClickPubSub>(WHATSAPP_CLICKS_PUBSUB);
    const handed: number[] = [];
    const ids: number[] = [];
    // Thousands of subscribers of one account are normal, not a leak Node should warn about.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    for (let i = 0; i < 2000; i++) {
      ids.push(
        await pubSub.subscribe(
          clickChannel('fanout-waba'),
          () => {
            handed.push(Date.now());
            const until = Date.now() + 0.5;
            while (Date.now() < until); // a subscriber that costs half a millisecond
          },
          {},
        ),
      );
    }
    // When the server finished writing the webhook's answer.
    let answered = 0;
    const http = suite.server.app.getHttpServer() as import('node:http').Server;
    const onRequest = (_req: unknown, res: import('node:http').ServerResponse) =>
      res.once('finish', () => (answered ||= Date.now()));
    http.on('request', onRequest);
    try {
      const delivery = sampleClickDelivery({
        businessAccountId: 'fanout-waba',
        actions: [sampleClickAction(), sampleClickAction()],
      });
      const answer = await postWebhook(suite.server.webhook, delivery);
      expect(answer.json).toMatchObject({ stored: 2 });
      for (let i = 0; i < 200 && handed.length < 4000; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(handed).toHaveLength(4000);
      // The answer was written before the first subscriber was handed a click.
      expect(answered).toBeGreaterThan(0);
      expect(answered).toBeLessThanOrEqual(handed[0]!);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      http.off('request', onRequest);
      for (const id of ids) pubSub.unsubscribe(id);
    }
  });
});
