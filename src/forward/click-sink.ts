import { ClickComponent } from '../models/click-event.model.js';
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
 * `@nestjs/microservices`, Kafka, SQS). The module calls `send` with batches from the outbox (up
 * to 10,000 clicks), one at a time, and deletes them from the outbox once it resolves; when it
 * rejects, the same clicks come again later (the same `id`s: consumers dedupe on it).
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

const COMPONENTS = new Map<string | null, 'CTA' | 'BODY'>([
  [ClickComponent.CTA, 'CTA'],
  [ClickComponent.BODY, 'BODY'],
]);

/**
 * ISO 8601 of a time, remembering the last few: the clicks of a delivery share their
 * `receivedAt`, and mostly their `occurredAt` (toISOString was a tenth of forwarding's CPU).
 */
const isoOf = (() => {
  const last = new Map<number, string>();
  return (date: Date): string => {
    const ms = date.getTime();
    let iso = last.get(ms);
    if (iso === undefined) {
      if (last.size >= 8) last.clear();
      last.set(ms, (iso = date.toISOString()));
    }
    return iso;
  };
})();

/** As the GraphQL `ClickEvent` shows it (`toClickEventModel`), without the cursor. */
export function toForwardedClick(event: ClickEvent): ForwardedClick {
  return {
    id: event.id,
    businessAccountId: event.businessAccountId,
    phoneNumberId: event.phoneNumberId,
    displayPhoneNumber: event.displayPhoneNumber,
    actionType: event.actionType,
    // A component this version does not know is null, as in the API.
    clickComponent: COMPONENTS.get(event.clickComponent) ?? null,
    clickId: event.clickId,
    productId: event.productId,
    trackingToken: event.trackingToken,
    occurredAt: isoOf(event.occurredAt),
    receivedAt: isoOf(event.receivedAt),
  };
}
