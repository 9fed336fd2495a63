import { EventEmitter } from 'node:events';
import type { ClickPubSub } from './click-pubsub.js';

/** `graphql-subscriptions`' in-process PubSub, loaded only when live clicks are on. */
export async function inProcessPubSub(): Promise<ClickPubSub> {
  const { PubSub } = await import('graphql-subscriptions');
  // One listener per live subscriber of an account: more than Node's default 10 is normal here,
  // not a leak (each is removed when its subscription ends), so no warning is printed for it.
  const eventEmitter = new EventEmitter();
  eventEmitter.setMaxListeners(0);
  return new PubSub({ eventEmitter });
}
