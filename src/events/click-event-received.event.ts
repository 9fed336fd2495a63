import type { ClickEvent } from '../storage/click-event.entity.js';

/** The name under which `ClickEventReceived` is emitted on the host's `EventEmitter2`. */
export const CLICK_EVENT_RECEIVED = 'whatsapp.click.received';

/**
 * A stored click as handlers get it: a frozen plain object with the entity's fields (not the
 * TypeORM entity itself), so one handler cannot change what the others see.
 */
export type ReceivedClick = Readonly<Omit<ClickEvent, 'extra'>> & {
  readonly extra: Readonly<Record<string, unknown>> | null;
};

/**
 * Emitted for each newly stored action after its transaction committed, never for Meta's
 * duplicates. At least once: a click whose handlers had not all run when the process stopped
 * (a crash, a deploy) is emitted again after the restart, with the same `clickEvent.id`, so a
 * handler that must act once dedupes on it.
 */
export class ClickEventReceived {
  /** The stored click, with its id. */
  readonly clickEvent: ReceivedClick;

  constructor(clickEvent: ClickEvent | ReceivedClick) {
    this.clickEvent = Object.isFrozen(clickEvent) ? clickEvent : frozenCopy(clickEvent);
    Object.freeze(this);
  }
}

function frozenCopy(event: ClickEvent | ReceivedClick): ReceivedClick {
  return Object.freeze({
    id: event.id,
    businessAccountId: event.businessAccountId,
    phoneNumberId: event.phoneNumberId,
    displayPhoneNumber: event.displayPhoneNumber,
    actionType: event.actionType,
    clickComponent: event.clickComponent,
    clickId: event.clickId,
    productId: event.productId,
    trackingToken: event.trackingToken,
    occurredAt: new Date(event.occurredAt),
    receivedAt: new Date(event.receivedAt),
    dedupeKey: event.dedupeKey,
    extra: event.extra === null ? null : deepFreeze(structuredClone(event.extra)),
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
