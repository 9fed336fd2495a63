import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { PubSubEngine } from 'graphql-subscriptions';
import { Redis } from 'ioredis';

/**
 * The server's pubsub engine: Redis when REDIS_URL is set, so instances share one stream; null
 * without, and the module's in-process default serves.
 */
export function createPubSub(redisUrl: string | null): PubSubEngine | null {
  if (!redisUrl) return null;
  const logger = new Logger('Redis');
  const connect = (role: string) => {
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
    // ioredis reconnects by itself; say so once per failure instead of crashing the process.
    client.on('error', (error: Error) => logger.warn(`${role}: ${error.message}`));
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
  return new RedisPubSub({ publisher: connect('publisher'), subscriber });
}

/** Closes the Redis connections when the app closes. */
export class PubSubCloser implements OnApplicationShutdown {
  constructor(private readonly pubSub: PubSubEngine | null) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.pubSub instanceof RedisPubSub) await this.pubSub.close();
  }
}
