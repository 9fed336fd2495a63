import { createHash } from 'node:crypto';
import { isStorableText } from './json-limits.js';

/**
 * Readers of single JSON values of Meta's envelopes, shared by the click and tracking-event
 * parsers: each says what it found, never throws.
 */

export type JsonObject = Record<string, unknown>;

/** Latest timestamp accepted, in unix seconds (9999-12-31T23:59:59Z): anything later is not seconds. */
const MAX_TIMESTAMP_SECONDS = 253_402_300_799;

export const INVALID = Symbol('invalid');

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function tooLong(value: string, maxBytes: number): boolean {
  return value.length > maxBytes / 3 && Buffer.byteLength(value, 'utf8') > maxBytes;
}

export function nonEmptyString(value: unknown): string | null {
  return isStorableText(value) && value.length > 0 ? value : null;
}

/** A string, null for absent (undefined or null), INVALID for any other type. */
export function optionalString(value: unknown): string | null | typeof INVALID {
  if (value === undefined || value === null) return null;
  return isStorableText(value) ? value : INVALID;
}

/** Unix seconds as a number or a string of digits, to milliseconds; null if not that. */
export function timestampToMillis(value: unknown): number | null {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) seconds = Number(value);
  else return null;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_TIMESTAMP_SECONDS) return null;
  return Math.round(seconds * 1000);
}

/**
 * A stable hash of what an item itself says, for items without a click_id: the same item
 * retried by Meta hashes the same whatever its key order or the timestamp's JSON type.
 */
export function fingerprint(phoneNumberId: string, item: JsonObject, occurredAt: number): string {
  const canonical = canonicalJson({ phoneNumberId, action: { ...item, timestamp: occurredAt } });
  return `fp:${createHash('sha256').update(canonical).digest('base64url')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
