import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';

/** The server's Redis, when REDIS_URL is set: the pubsub engine and its health. */
export const REDIS_LINK = Symbol('REDIS_LINK');

/** Longest wait between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5000;

export interface RedisLink {
  pubSub: RedisPubSub;
  /** `up` while both connections are ready; `degraded` otherwise (live clicks wait for it). */
  health(): { redis: { status: 'up' | 'degraded'; message?: string } };
  close(): Promise<void>;
}

/**
 * Redis for live clicks, so instances share one stream; null without REDIS_URL (the module's
 * in-process default serves). A connection that drops is retried with a growing delay (up to
 * 5 s) and logged once when lost and once when back, not at every attempt.
 */
export function createRedisLink(redisUrl: string | null): RedisLink | null {
  if (!redisUrl) return null;
  const logger = new Logger('Redis');
  const clients: Redis[] = [];
  const connect = (role: string) => {
    const client = new Redis(redisUrl, {
      maxRetriesPerRequest: 3,
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(times * 200, MAX_RECONNECT_DELAY_MS),
    });
    let lost: string | null = null;
    client.on('error', (error: Error) => {
      if (lost === null) {
        lost = error.message;
        logger.warn(
          `${role}: ${error.message}; reconnecting (live clicks wait, webhooks are still stored)`,
        );
      } else logger.debug(`${role}: ${error.message}`);
    });
    client.on('ready', () => {
      if (lost !== null) logger.log(`${role}: connected again`);
      lost = null;
    });
    clients.push(client);
    return client;
  };
  const subscriber = connect('subscriber');
  // graphql-redis-subscriptions does not await its UNSUBSCRIBE: one sent while the app shuts
  // down (a subscriber leaving after quit()) would reject unhandled. Nothing is left to
  // unsubscribe from on a closed connection, so that failure is only worth a debug line.
  for (const method of ['unsubscribe', 'punsubscribe'] as const) {
    const original = subscriber[method].bind(subscriber) as (
      ...channels: string[]
    ) => Promise<unknown>;
    (subscriber as unknown as Record<string, unknown>)[method] = (...channels: string[]) =>
      original(...channels).catch((error: Error) =>
        logger.debug(`${method} ${channels.join(' ')}: ${error.message}`),
      );
  }
  const pubSub = new RedisPubSub({ publisher: connect('publisher'), subscriber });
  return {
    pubSub,
    health: () => {
      const notReady = clients.filter((client) => client.status !== 'ready');
      return notReady.length === 0
        ? { redis: { status: 'up' } }
        : { redis: { status: 'degraded', message: `connection ${notReady[0]!.status}` } };
    },
    close: async () => {
      await pubSub.close();
    },
  };
}

/** Closes the Redis connections when the app closes. */
export class RedisCloser implements OnApplicationShutdown {
  constructor(private readonly link: RedisLink | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.link?.close();
  }
}
