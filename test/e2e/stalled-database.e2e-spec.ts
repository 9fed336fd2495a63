// A database that keeps its connections open and stops answering: the webhook answers 503
// within the storage timeout instead of hanging, and nothing is lost once it answers again.
import { handedOn } from '../support/outbox.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, type ClickEventReceived } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const postgres = (await databaseTargets()).find((target) => target.kind === 'postgres')!;

describe.skipIf(postgres.unavailable !== null)('a stalled PostgreSQL', () => {
  let db: TestDatabase;
  let server: TestServer;
  const events: ClickEventReceived[] = [];

  beforeAll(async () => {
    db = await postgres.create();
    server = await startTestServer({ DATABASE_URL: db.url, CLICKS_STORAGE_TIMEOUT_MS: '1000' });
    server.app.get(EventEmitter2).on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) => {
      events.push(event);
    });
  });
  afterAll(async () => {
    db?.resume?.();
    await server?.app.close();
    await db?.dispose();
  });

  it('answers 503 within the timeout, then stores and emits the click once when it answers again', async () => {
    const delivery = sampleClickDelivery({
      actions: [sampleClickAction({ click_id: 'during-stall' })],
    });
    expect(
      (await postWebhook(server.webhook, sampleClickDelivery({ actions: [sampleClickAction()] })))
        .status,
    ).toBe(200);
    await handedOn(server.app);
    events.length = 0;

    db.stall!();
    const started = Date.now();
    const answer = await postWebhook(server.webhook, delivery);
    const waited = Date.now() - started;
    expect(answer.status).toBe(503);
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5000);

    db.resume!();
    // The write that was answered 503 commits now, and its click is handed on after all.
    for (let i = 0; i < 100 && events.length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(events.map((event) => event.clickEvent.clickId)).toEqual(['during-stall']);
    // Meta's retry of the 503: a duplicate, no second event.
    expect((await postWebhook(server.webhook, delivery)).json).toMatchObject({
      stored: 0,
      duplicates: 1,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toHaveLength(1);
    expect(await db.count('click_events')).toBe(2);
  });

  it("answers a GraphQL read the database failed with a fixed message, not the database's", async () => {
    await db.makeUnavailable();
    try {
      const answer = await graphql(
        server.graphql,
        '{ clickStats(businessAccountId: "waba") { total } }',
      );
      expect(answer.errors!.map((e) => [e.message, e.extensions?.code])).toEqual([
        ['internal server error', 'INTERNAL_SERVER_ERROR'],
      ]);
    } finally {
      await db.restore();
    }
  });
});
