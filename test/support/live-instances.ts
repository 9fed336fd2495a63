// Servers for the live-click specs, and what they share: how many subscriptions an instance
// holds on a channel, whatever its engine, and a wait for a condition.
import type { INestApplication } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { PubSubEngine } from 'graphql-subscriptions';
import { WHATSAPP_CLICKS_PUBSUB } from '../../src/index.js';
import { sampleClickDelivery } from '../../src/testing/index.js';
import { startTestServer } from './server.js';
import { postWebhook } from './webhooks.js';

/** Keys: one for every account, one for A. */
export const KEYS = 'all-key=*,a-key=waba-a';

export interface Instance {
  app: INestApplication;
  http: string;
  ws: string;
  pubSub: PubSubEngine;
}

export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const { app, base, ws } = await startTestServer({ CLICKS_API_KEYS: KEYS, ...env });
  return { app, http: base, ws, pubSub: app.get(WHATSAPP_CLICKS_PUBSUB) };
}

/** Subscriptions registered on the channel of one instance, whatever its engine. */
export function localListeners(pubSub: PubSubEngine, channel: string): number {
  if (pubSub instanceof RedisPubSub) {
    const map = (pubSub as unknown as { subsRefsMap: Map<string, Set<number>> }).subsRefsMap;
    return map.get(channel)?.size ?? 0;
  }
  return (pubSub as unknown as { ee: EventEmitter }).ee.listenerCount(channel);
}

export const until = async (
  condition: () => boolean | Promise<boolean>,
  what: string,
  ms = 5000,
) => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

export const post = (instance: Instance, account: string, actions: Record<string, unknown>[]) =>
  postWebhook(
    `${instance.http}/webhooks/whatsapp`,
    sampleClickDelivery({ businessAccountId: account, actions }),
  );
