import type { ClickMessage } from '../live/click-pubsub.js';
import { encodeCursor } from './click-cursor.js';
import type { ClickEvent as ClickEventEntity } from '../storage/click-event.entity.js';

/** The part of the message that was clicked. */
export enum ClickComponent {
  CTA = 'cta',
  BODY = 'body',
}

/**
 * A stored click, as the API shows it (GraphQL type `ClickEvent`). Separate from the entity so
 * a column never leaks. Its GraphQL description is in `graphql/graphql-types.ts`, applied only
 * when GraphQL is on.
 */
export class ClickEventModel {
  id!: string;
  businessAccountId!: string;
  phoneNumberId!: string;
  displayPhoneNumber!: string | null;
  actionType!: string;
  /** Null when Meta sent none, or a component this version does not know. */
  clickComponent!: ClickComponent | null;
  clickId!: string | null;
  productId!: string | null;
  trackingToken!: string | null;
  /** From the action's timestamp. */
  occurredAt!: Date;
  receivedAt!: Date;
  /** Where this click stands: an `after` for `clickEvents` and for `clickEventReceived`. */
  cursor!: string;
}

const COMPONENTS = new Set<string>(Object.values(ClickComponent));

/** A stored click, or one received live (dates as milliseconds), as the API shows it. */
export function toClickEventModel(entity: ClickEventEntity | ClickMessage): ClickEventModel {
  const model = new ClickEventModel();
  model.id = entity.id;
  model.businessAccountId = entity.businessAccountId;
  model.phoneNumberId = entity.phoneNumberId;
  model.displayPhoneNumber = entity.displayPhoneNumber;
  model.actionType = entity.actionType;
  model.clickComponent =
    entity.clickComponent !== null && COMPONENTS.has(entity.clickComponent)
      ? (entity.clickComponent as ClickComponent)
      : null;
  model.clickId = entity.clickId;
  model.productId = entity.productId;
  model.trackingToken = entity.trackingToken;
  model.occurredAt = new Date(entity.occurredAt);
  model.receivedAt = new Date(entity.receivedAt);
  model.cursor = encodeCursor({ occurredAt: model.occurredAt.getTime(), id: model.id });
  return model;
}
