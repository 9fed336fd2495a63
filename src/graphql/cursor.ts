import type { KeysetPosition } from '../storage/click-event.queries.js';
import { clickError } from './graphql-errors.js';

/** The position in a cursor, or BAD_USER_INPUT naming the argument. */
export function decodeCursor(cursor: string, argument = '"after"'): KeysetPosition {
  const match = /^(\d{1,16}):(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !Number.isSafeInteger(Number(match[1]))) {
    throw clickError(
      'BAD_USER_INPUT',
      `${argument} is not a cursor of clickEvents: ${JSON.stringify(cursor)}`,
    );
  }
  return { occurredAt: Number(match[1]), id: match[2]! };
}
