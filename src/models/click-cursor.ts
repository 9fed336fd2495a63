/** Where a click stands: the `cursor` of `clickEvents` edges and of `ClickEvent`. */
export interface ClickCursorPosition {
  occurredAt: number;
  id: string;
}

/** An opaque cursor: a click's (occurredAt, id). */
export function encodeCursor(position: ClickCursorPosition): string {
  return Buffer.from(`${position.occurredAt}:${position.id}`, 'utf8').toString('base64url');
}
