// Live clicks over graphql-ws on one instance (in-process pubsub): once each, filtered on the
// server, authorized at subscribe time, a slow subscriber ended, nothing left behind.
import type { EventEmitter } from 'node:events';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clickChannel } from '../../src/index.js';
import { sampleClickAction } from '../../src/testing/index.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { graphql } from '../support/graphql.js';
import {
  type Instance,
  localListeners,
  post,
  startInstance,
  until,
} from '../support/live-instances.js';
import { subscribe, wsClient, type Subscriber } from '../support/subscriptions.js';

describe('live clicks over graphql-ws (in-process pubsub)', () => {
  let db: TestDatabase;
  let server: Instance;
  const clients: Client[] = [];
  const client = (key?: string) => {
    const created = wsClient(server.ws, key);
    clients.push(created);
    return created;
  };
  /** Subscribes and waits until the server has registered it. */
  const live = async (account: string, key = 'all-key', filter?: object) => {
    const before = localListeners(server.pubSub, clickChannel(account));
    const subscriber = subscribe(client(key), { account, filter });
    await until(
      () => localListeners(server.pubSub, clickChannel(account)) > before,
      'the subscription',
    );
    return subscriber;
  };

  beforeAll(async () => {
    db = await sqliteDatabase();
    server = await startInstance({ DATABASE_URL: db.url });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
    // Every closed client released its subscriptions.
    const ee = (server.pubSub as unknown as { ee: EventEmitter }).ee;
    await until(
      () => ee.eventNames().every((name) => ee.listenerCount(name) === 0),
      'released listeners',
    );
  });

  afterAll(async () => {
    await server?.app.close();
    await db?.dispose();
  });

  it("delivers each new click of the account once, and no other account's", async () => {
    const a = await live('waba-a', 'a-key');
    const ab = await live('waba-b');

    await post(server, 'waba-a', [
      sampleClickAction({
        click_id: 'a1',
        click_component: 'body',
        product_id: 'p9',
        timestamp: '1763700000',
      }),
    ]);
    await post(server, 'waba-b', [sampleClickAction({ click_id: 'b1' })]);
    await until(() => a.events.length === 1 && ab.events.length === 1, 'both clicks');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(a.events).toEqual([
      {
        id: expect.any(String),
        businessAccountId: 'waba-a',
        clickId: 'a1',
        clickComponent: 'BODY',
        productId: 'p9',
        phoneNumberId: '106540352242922',
        actionType: 'marketing_messages_link_click',
        occurredAt: '2025-11-21T04:40:00.000Z',
        receivedAt: expect.any(String),
      },
    ]);
    expect(ab.events.map((e) => e.clickId)).toEqual(['b1']);
    expect(a.errors).toEqual([]);
  });

  it('applies the filter on the server', async () => {
    const subscriber = await live('waba-filter', 'all-key', {
      clickComponent: 'BODY',
      productId: 'p1',
    });
    await post(server, 'waba-filter', [
      sampleClickAction({ click_id: 'f1', click_component: 'body', product_id: 'p1' }),
      sampleClickAction({ click_id: 'f2', click_component: 'cta', product_id: 'p1' }),
      sampleClickAction({ click_id: 'f3', click_component: 'body', product_id: 'p2' }),
      sampleClickAction({ click_id: 'f4', click_component: 'body', product_id: 'p1' }),
    ]);
    await until(() => subscriber.events.length === 2, 'the matching clicks');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscriber.events.map((e) => e.clickId)).toEqual(['f1', 'f4']);
  });

  it('publishes a retried delivery once, and only once the row can be read', async () => {
    const subscriber = await live('waba-a', 'a-key');
    const readable: unknown[] = [];
    const body = [
      sampleClickAction({ click_id: 'dup-1' }),
      sampleClickAction({ click_id: 'dup-2' }),
    ];

    await post(server, 'waba-a', body);
    await post(server, 'waba-a', body);
    await until(() => subscriber.events.length === 2, 'two clicks');
    for (const event of subscriber.events) {
      const answer = await graphql(
        `${server.http}/graphql`,
        'query($id: ID!) { clickEvent(id: $id) { id } }',
        { id: event.id },
        'a-key',
      );
      readable.push(answer.data.clickEvent);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(subscriber.events.map((e) => e.clickId)).toEqual(['dup-1', 'dup-2']);
    expect(readable).toEqual(subscriber.events.map((e) => ({ id: e.id })));
  });

  it('delivers all 1000 actions of one delivery, in order', async () => {
    const subscriber = await live('waba-bulk');
    const actions = Array.from({ length: 1000 }, (_, i) =>
      sampleClickAction({ click_id: `bulk-${i}` }),
    );

    // A consumer that keeps up never overflows: it drains while the clicks arrive.
    const answer = await post(server, 'waba-bulk', actions);

    expect(answer.json).toMatchObject({ stored: 1000 });
    await until(
      () => subscriber.events.length === 1000 || subscriber.completed,
      '1000 clicks',
      10_000,
    );
    expect(subscriber.errors).toEqual([]);
    expect(subscriber.events.map((e) => e.clickId)).toEqual(actions.map((_, i) => `bulk-${i}`));
  });

  it('refuses unauthenticated and unauthorized subscriptions with an error and no events', async () => {
    const anonymous = subscribe(client(), { account: 'waba-a' });
    const unknown = subscribe(client('nope'), { account: 'waba-a' });
    const outside = subscribe(client('a-key'), { account: 'waba-b' });
    await until(
      () => [anonymous, unknown, outside].every((s) => s.errors.length > 0),
      'the refusals',
    );

    await post(server, 'waba-a', [sampleClickAction()]);
    await post(server, 'waba-b', [sampleClickAction()]);
    await new Promise((resolve) => setTimeout(resolve, 150));

    // Without a known key there is no socket (closed 4401 at connection_init); with one, a
    // subscription outside its scope is a FORBIDDEN error.
    const codes = (s: Subscriber) =>
      s.errors.map((e: any) => e?.code ?? e?.extensions?.code ?? JSON.stringify(e));
    expect(codes(anonymous)).toEqual([4401]);
    expect(codes(unknown)).toEqual([4401]);
    expect(JSON.stringify(outside.errors)).toContain('FORBIDDEN');
    for (const refused of [anonymous, unknown, outside]) expect(refused.events).toEqual([]);
  });

  it('ends a subscriber that stops reading with SUBSCRIBER_TOO_SLOW, and the webhook keeps answering', async () => {
    // An instance that holds at most 20 clicks for a subscriber.
    const small = await startInstance({ DATABASE_URL: db.url, CLICKS_SUBSCRIPTION_BUFFER: '20' });
    try {
      // A raw graphql-ws connection whose socket stops reading once subscribed.
      const socket = new WebSocket(small.ws, 'graphql-transport-ws');
      const received: any[] = [];
      socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8'))));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer all-key' } }),
      );
      await until(() => received.some((m) => m.type === 'connection_ack'), 'the ack');
      socket.send(
        JSON.stringify({
          id: 'slow',
          type: 'subscribe',
          payload: {
            query:
              'subscription { clickEventReceived(businessAccountId: "waba-slow") { id clickId } }',
          },
        }),
      );
      await until(
        () => localListeners(small.pubSub, clickChannel('waba-slow')) === 1,
        'the subscription',
      );
      (socket as unknown as { _socket: { pause(): void } })._socket.pause();

      const answers = [];
      for (let i = 0; i < 5; i++) {
        const actions = Array.from({ length: 1000 }, (_, j) =>
          sampleClickAction({ click_id: `slow-${i}-${j}` }),
        );
        answers.push((await post(small, 'waba-slow', actions)).json);
      }
      expect(answers).toEqual(
        Array(5).fill({ stored: 1000, duplicates: 0, rejected: 0, ignored: 0 }),
      );
      // The subscriber's listener is gone at once: nothing more is held for it.
      expect(localListeners(small.pubSub, clickChannel('waba-slow'))).toBe(0);

      (socket as unknown as { _socket: { resume(): void } })._socket.resume();
      await until(() => received.some((m) => m.type === 'complete'), 'the end of the subscription');
      const nexts = received.filter((m) => m.type === 'next');
      expect(nexts.at(-1).payload.errors[0].extensions.code).toBe('SUBSCRIBER_TOO_SLOW');
      // What it got before the end: at most what the buffer held.
      expect(nexts.length - 1).toBeLessThanOrEqual(21);
      socket.close();
    } finally {
      await small.app.close();
    }
  });

  it('leaves no listener behind after 1000 subscribe/unsubscribe cycles', async () => {
    const channel = clickChannel('waba-cycles');
    const reused = client('all-key');
    for (let i = 0; i < 1000; i++) {
      const subscriber = subscribe(reused, { account: 'waba-cycles' });
      if (i % 100 === 0)
        await until(() => localListeners(server.pubSub, channel) >= 1, 'a subscription');
      subscriber.stop();
    }
    // Sockets that just close release theirs too.
    const closing = Array.from({ length: 20 }, () => wsClient(server.ws, 'all-key'));
    for (const c of closing) subscribe(c, { account: 'waba-cycles' });
    await until(() => localListeners(server.pubSub, channel) >= 20, 'the last subscriptions');
    await Promise.all(closing.map(async (c) => c.dispose()));

    await until(() => localListeners(server.pubSub, channel) === 0, 'every listener released');
    const ws = server.app.getHttpServer() as { listenerCount(event: string): number };
    expect(ws.listenerCount('upgrade')).toBe(1);
  });
});
