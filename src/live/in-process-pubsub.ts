import type { ClickPubSub } from './click-pubsub.js';

/** `graphql-subscriptions`' in-process PubSub, loaded only when live clicks are on. */
export async function inProcessPubSub(): Promise<ClickPubSub> {
  const { PubSub } = await import('graphql-subscriptions');
  return new PubSub();
}
