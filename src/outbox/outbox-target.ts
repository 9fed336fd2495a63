/**
 * Who a newly stored click must still be handed on to: the host's `@OnClickEvent()` handlers, or
 * the broker clicks are forwarded to. Each has its own outbox entries, so a broker outage never
 * holds back (or repeats) the handlers.
 */
export type OutboxTarget = 'events' | 'forward';

/**
 * The outbox: one row per committed transaction and target, listing the new clicks' ids. Written
 * in the click's own transaction, deleted once handed on. One row per transaction rather than per
 * click keeps it off the ingest path's cost (a group commit of 1000 clicks writes one or two).
 */
export const OUTBOX_TABLE = 'click_outbox';
