import type { ClickEvent } from '../storage/click-event.entity.js';

/** The name under which `ClickEventReceived` is emitted on the host's `EventEmitter2`. */
export const CLICK_EVENT_RECEIVED = 'whatsapp.click.received';

/** Emitted once per newly stored action, after its transaction committed. Never for duplicates. */
export class ClickEventReceived {
  constructor(
    /** The stored row, with its id. */
    readonly clickEvent: ClickEvent,
  ) {}
}
