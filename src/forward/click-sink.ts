import { ClickComponent, toClickEventModel } from '../models/click-event.model.js';
import type { ClickEvent } from '../storage/click-event.entity.js';

/**
 * A click as forwarded: the GraphQL `ClickEvent` fields, times as ISO 8601 strings, the
 * component as the GraphQL enum names it (`CTA`, `BODY`, or null).
 */
export interface ForwardedClick {
  id: string;
  businessAccountId: string;
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  actionType: string;
  clickComponent: 'CTA' | 'BODY' | null;
  clickId: string | null;
  productId: string | null;
  trackingToken: string | null;
  occurredAt: string;
  receivedAt: string;
}

/**
 * Where forwarded clicks go: a message broker, or anything a host plugs in (a `ClientProxy` of
 * `@nestjs/microservices`, Kafka, SQS). The module calls `send` with batches from the outbox, one
 * at a time, and deletes them from the outbox once it resolves; when it rejects, the same clicks
 * come again later (the same `id`s: consumers dedupe on it).
 */
export interface ClickSink {
  /** A name for logs and health: `nats`, `rabbitmq`, your own. */
  readonly name: string;
  /**
   * Sends every click and resolves only once the other side has them safely (a broker's
   * acknowledgement). Rejects otherwise, also after a timeout: the module waits for it.
   */
  send(clicks: readonly ForwardedClick[]): Promise<void>;
  /** Releases connections at application shutdown, after the outbox was flushed. */
  close?(): Promise<void>;
}

export function toForwardedClick(event: ClickEvent): ForwardedClick {
  const model = toClickEventModel(event);
  return {
    id: model.id,
    businessAccountId: model.businessAccountId,
    phoneNumberId: model.phoneNumberId,
    displayPhoneNumber: model.displayPhoneNumber,
    actionType: model.actionType,
    clickComponent:
      model.clickComponent === null
        ? null
        : model.clickComponent === ClickComponent.CTA
          ? 'CTA'
          : 'BODY',
    clickId: model.clickId,
    productId: model.productId,
    trackingToken: model.trackingToken,
    occurredAt: model.occurredAt.toISOString(),
    receivedAt: model.receivedAt.toISOString(),
  };
}
