import type { KeysetPosition } from '../storage/click-event.queries.js';
import { clickError } from './graphql-errors.js';

/** An opaque cursor: where the page ended in (occurredAt desc, id desc). */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.occurredAt}:${position.id}`, 'utf8').toString('base64url');
}

/** The position in a cursor, or BAD_USER_INPUT. */
export function decodeCursor(cursor: string): KeysetPosition {
  const match = /^(\d{1,16}):(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !Number.isSafeInteger(Number(match[1]))) {
    throw clickError(
      'BAD_USER_INPUT',
      `"after" is not a cursor of clickEvents: ${JSON.stringify(cursor)}`,
    );
  }
  return { occurredAt: Number(match[1]), id: match[2]! };
}
