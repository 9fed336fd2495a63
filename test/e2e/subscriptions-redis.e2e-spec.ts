// Live clicks across two instances on one PostgreSQL, fanned out through Redis: once each on
// both, a clean shutdown, no channel left behind.
import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickChannel } from '../../src/index.js';
import { sampleClickAction } from '../../src/testing/index.js';
import {
  databaseTargets,
  REDIS_URL,
  redisProblem,
  type TestDatabase,
} from '../support/databases.js';
import {
  type Instance,
  localListeners,
  post,
  startInstance,
  until,
} from '../support/live-instances.js';
import { subscribe, wsClient } from '../support/subscriptions.js';
import { createRedisLink, RedisCloser } from '../../server/redis-pubsub.js';

const postgres = (await databaseTargets()).find((t) => t.kind === 'postgres')!;
const redisMissing = await redisProblem();

describe.skipIf(postgres.unavailable !== null || redisMissing !== null)(
  'live clicks across two instances (PostgreSQL and Redis)',
  () => {
    let db: TestDatabase;
    let one: Instance;
    let two: Instance;
    let redis: Redis;
    const clients: Client[] = [];
    const account = `waba-multi-${process.pid}-${Date.now()}`;
    const numsub = async (channel: string) =>
      Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);

    beforeAll(async () => {
      db = await postgres.create();
      redis = new Redis(REDIS_URL);
      one = await startInstance({ DATABASE_URL: db.url, REDIS_URL });
      two = await startInstance({ DATABASE_URL: db.url, REDIS_URL });
    });

    afterAll(async () => {
      await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
      await one?.app.close();
      await two?.app.close();
      redis?.disconnect();
      await db?.dispose();
    });

    it('brings a click received by one instance to subscribers of both, exactly once', async () => {
      const make = (instance: Instance) => {
        const created = wsClient(instance.ws, 'all-key');
        clients.push(created);
        return subscribe(created, { account });
      };
      const subscribers = [make(one), make(one), make(two)];
      await until(
        async () => (await numsub(clickChannel(account))) === 2,
        'both instances on the channel',
      );
      await until(
        () =>
          localListeners(one.pubSub, clickChannel(account)) === 2 &&
          localListeners(two.pubSub, clickChannel(account)) === 1,
        'every subscription',
      );

      await post(one, account, [sampleClickAction({ click_id: 'via-one' })]);
      await post(two, account, [sampleClickAction({ click_id: 'via-two' })]);
      // Meta retries on the other instance: stored once, so published once.
      await post(two, account, [sampleClickAction({ click_id: 'via-one' })]);

      await until(() => subscribers.every((s) => s.events.length >= 2), 'the clicks everywhere');
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const subscriber of subscribers) {
        expect(subscriber.events.map((e) => e.clickId).sort()).toEqual(['via-one', 'via-two']);
      }
    });

    it('shuts down cleanly when a subscriber leaves after the Redis connections closed', async () => {
      const link = createRedisLink(REDIS_URL)!;
      const pubSub = link.pubSub;
      const id = await pubSub.subscribe(`${account}-late`, () => undefined, {});
      await new RedisCloser(link).onApplicationShutdown();
      pubSub.unsubscribe(id);
      // An UNSUBSCRIBE rejected unhandled here would fail the whole run.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await numsub(`${account}-late`)).toBe(0);
    });

    it('leaves no Redis channel or listener behind after 1000 subscribe/unsubscribe cycles', async () => {
      const cycling = `${account}-cycles`;
      const channel = clickChannel(cycling);
      const c1 = wsClient(one.ws, 'all-key');
      const c2 = wsClient(two.ws, 'all-key');
      clients.push(c1, c2);
      for (let i = 0; i < 1000; i++) {
        const subscriber = subscribe(i % 2 === 0 ? c1 : c2, { account: cycling });
        if (i % 100 === 0)
          await until(async () => (await numsub(channel)) >= 1, 'a Redis subscription');
        subscriber.stop();
      }
      await until(
        async () =>
          (await numsub(channel)) === 0 &&
          localListeners(one.pubSub, channel) === 0 &&
          localListeners(two.pubSub, channel) === 0,
        'every listener and Redis subscription released',
      );
      const channels = (await redis.pubsub('CHANNELS', `${clickChannel(account)}*`)) as string[];
      expect(channels.filter((c) => c.startsWith(channel))).toEqual([]);
    });
  },
);
