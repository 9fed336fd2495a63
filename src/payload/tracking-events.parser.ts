import { MAX_BYTES, MAX_NESTING, nestsDeeperThan, quoted, setOwn } from './json-limits.js';
import {
  fingerprint,
  INVALID,
  isObject,
  type JsonObject,
  nonEmptyString,
  optionalString,
  timestampToMillis,
  tooLong,
} from './json-values.js';

/**
 * `tracking_events` of a `messages` change: what became of a marketing message before anyone
 * clicked (`sent`), with the `click_id` and `tracking_token` its clicks will carry. No Meta page
 * documents it; public client libraries type it as
 * `{ event, timestamp, tracking_data: { click_id, tracking_token } }`. It is read the way
 * `user_actions` are: what breaks that shape is a rejection of that item alone, and anything
 * else it carries is kept.
 */

export const TRACKING_DATA_KEY = 'tracking_data';
const KNOWN_KEYS = new Set(['event', 'type', 'timestamp', TRACKING_DATA_KEY]);
const KNOWN_DATA_KEYS = new Set(['click_id', 'tracking_token']);

/** One valid tracking event, ready to be stored. */
export interface TrackingEvent {
  businessAccountId: string;
  phoneNumberId: string;
  /** `sent`, or what Meta names another. */
  event: string;
  clickId: string | null;
  trackingToken: string | null;
  /** Its `timestamp`, in milliseconds since the epoch. */
  occurredAt: number;
  /** What this version does not know of it; null if nothing. */
  extra: Record<string, unknown> | null;
  /** With account and event: the `click_id`, or `fp:` and a hash of the item's own fields. */
  dedupeKey: string;
}

/** The tracking event, or the reason it is rejected. */
export function parseTrackingEvent(
  item: unknown,
  businessAccountId: string,
  phoneNumberId: string,
): TrackingEvent | string {
  if (!isObject(item)) return 'tracking event is not an object';
  if (nestsDeeperThan(item, MAX_NESTING)) {
    return `the tracking event nests deeper than ${MAX_NESTING} levels`;
  }
  const event = nonEmptyString(item.event ?? item.type);
  if (event === null) return 'event is missing or not a non-empty string';
  if (tooLong(event, MAX_BYTES.actionType)) {
    return `event is longer than ${MAX_BYTES.actionType} bytes`;
  }
  const occurredAt = timestampToMillis(item.timestamp);
  if (occurredAt === null) {
    return `timestamp ${quoted(item.timestamp)} is not unix seconds (a number or a string of digits)`;
  }
  const rawData = item[TRACKING_DATA_KEY];
  if (rawData !== undefined && rawData !== null && !isObject(rawData)) {
    return `${TRACKING_DATA_KEY} is not an object`;
  }
  const data: JsonObject = rawData ?? {};
  const clickId = optionalString(data.click_id);
  const trackingToken = optionalString(data.tracking_token);
  if (clickId === INVALID || trackingToken === INVALID) {
    return `${TRACKING_DATA_KEY}.click_id and tracking_token must be strings`;
  }
  if (clickId !== null && tooLong(clickId, MAX_BYTES.clickId)) {
    return `${TRACKING_DATA_KEY}.click_id is longer than ${MAX_BYTES.clickId} bytes`;
  }

  let extra: JsonObject | null = null;
  for (const key of Object.keys(item)) {
    if (!KNOWN_KEYS.has(key)) setOwn((extra ??= {}), key, item[key]);
  }
  for (const key of Object.keys(data)) {
    if (KNOWN_DATA_KEYS.has(key)) continue;
    const unknownData = ((extra ??= {})[TRACKING_DATA_KEY] ??= {}) as JsonObject;
    setOwn(unknownData, key, data[key]);
  }
  return {
    businessAccountId,
    phoneNumberId,
    event,
    clickId: clickId || null,
    trackingToken,
    occurredAt,
    extra,
    dedupeKey: clickId || fingerprint(phoneNumberId, item, occurredAt),
  };
}
