import { Inject } from '@nestjs/common';
import type { ClickAction } from '../payload/click-payload.parser.js';
import type { ClickEvent } from '../storage/click-event.entity.js';

/**
 * The engine live clicks travel through, or null when nobody listens live: in-process with
 * `graphql: true`; a Redis one (`graphql-redis-subscriptions`) lets every instance serve one stream.
 */
export const WHATSAPP_CLICKS_PUBSUB = Symbol('WHATSAPP_CLICKS_PUBSUB');
export const InjectClickPubSub = () => Inject(WHATSAPP_CLICKS_PUBSUB);

/**
 * What the module needs of a pubsub engine. `graphql-subscriptions`' `PubSubEngine` (and so
 * `RedisPubSub`) is one; declared here so that the main entry's types need no GraphQL package.
 */
export interface ClickPubSub {
  publish(triggerName: string, payload: unknown): Promise<void>;
  subscribe(
    triggerName: string,
    onMessage: (message: unknown) => void,
    options: object,
  ): Promise<number>;
  unsubscribe(subId: number): unknown;
}

/** One channel per account: a subscriber only ever hears its own account's clicks. */
export function clickChannel(businessAccountId: string): string {
  return `whatsapp-clicks:${businessAccountId}`;
}

/** A new click as published: plain JSON (times in milliseconds), so it crosses Redis unchanged. */
export type ClickMessage = Omit<ClickAction, 'extra' | 'dedupeKey'> & {
  id: string;
  receivedAt: number;
};

export function toClickMessage(event: ClickEvent): ClickMessage {
  return {
    id: event.id,
    businessAccountId: event.businessAccountId,
    phoneNumberId: event.phoneNumberId,
    displayPhoneNumber: event.displayPhoneNumber,
    actionType: event.actionType,
    clickComponent: event.clickComponent,
    clickId: event.clickId,
    productId: event.productId,
    trackingToken: event.trackingToken,
    occurredAt: event.occurredAt.getTime(),
    receivedAt: event.receivedAt.getTime(),
  };
}
