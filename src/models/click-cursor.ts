import type { KeysetPosition } from '../storage/click-event.queries.js';

/** An opaque cursor: a click's (occurredAt, id), where `clickEvents` pages end. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.occurredAt}:${position.id}`, 'utf8').toString('base64url');
}
