/**
 * What one action may hold so that both databases can store it alike, and helpers that keep
 * every step on an action total: a value too deep, too long or not well-formed is a reason to
 * reject that action, never an exception for the whole delivery.
 */

/** Deepest nesting of an action (its unknown fields included) that is stored. */
export const MAX_NESTING = 64;

/**
 * Longest values of the indexed columns, in UTF-8 bytes. PostgreSQL refuses an index row above
 * 2,704 bytes; the dedupe index holds account + dedupe key + action type, the keyset index
 * account + component + action type + phone number + product. SQLite has no such limit, but the
 * same limits hold on both, so a delivery stores the same way whatever the database.
 */
export const MAX_BYTES = {
  businessAccountId: 128,
  phoneNumberId: 128,
  actionType: 256,
  clickComponent: 64,
  clickId: 512,
  productId: 512,
} as const;

/** Most actions one delivery may carry; Meta sends at most 1,000 updates per delivery. */
export const MAX_ACTIONS_PER_DELIVERY = 10_000;

/** Whether `value` nests deeper than `limit` levels (never recurses deeper than that). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeperThan(child, limit - 1)) return true;
  }
  return false;
}

/** A copy of `value` with whatever lies deeper than `limit` levels replaced by a note. */
export function cutDeeperThan(value: unknown, limit: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (limit === 0) return `[cut: nested deeper than ${MAX_NESTING} levels]`;
  if (Array.isArray(value)) return value.map((child) => cutDeeperThan(child, limit - 1));
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    setOwn(copy, key, cutDeeperThan(child, limit - 1));
  }
  return copy;
}

/** Sets a key as an own property, `__proto__` included (plain assignment would drop it). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text both databases store as sent: no NUL (PostgreSQL refuses it) and no lone surrogate
 * (UTF-8 cannot encode it: PostgreSQL would store U+FFFD, and distinct values would collapse).
 */
export function isStorableText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/** A value as a reason may quote it: short, whatever it is. */
export function quoted(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
