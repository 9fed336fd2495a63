import type { ClickAction, RejectedAction } from '../payload/click-payload.parser.js';
import type { TrackingEvent } from '../payload/tracking-events.parser.js';
import { ClickEvent } from './click-event.entity.js';
import { textSafe, utf8OrNull } from './stored-text.js';

/** A rejection as stored: a whole body that was not JSON, or one action with its reason. */
export type RejectionRecord =
  { kind: 'body'; reason: string; body: Buffer } | ({ kind: 'action' } & RejectedAction);

/** One row's values, in the order of its table's columns. */
export type Row = (string | number | null)[];

/** Columns of a click row in insert order; `id` is made by the database. */
export const CLICK_COLUMNS = [
  'business_account_id',
  'phone_number_id',
  'display_phone_number',
  'action_type',
  'click_component',
  'click_id',
  'product_id',
  'tracking_token',
  'occurred_at',
  'received_at',
  'dedupe_key',
  'extra',
] as const;

/** Columns of a tracking event row in insert order. */
export const TRACKING_COLUMNS = [
  'business_account_id',
  'phone_number_id',
  'event',
  'click_id',
  'tracking_token',
  'occurred_at',
  'received_at',
  'dedupe_key',
  'extra',
] as const;

export const TRACKING_EVENT = TRACKING_COLUMNS.indexOf('event');

/** The unique dedupe index of tracking events. */
export const TRACKING_CONFLICT_TARGET = '("business_account_id", "event", "dedupe_key")';

export const REJECTION_COLUMNS = [
  'received_at',
  'kind',
  'business_account_id',
  'path',
  'reason',
  'payload',
  'payload_encoding',
] as const;

/** The unique dedupe index: a click already stored under it is a duplicate. */
export const CONFLICT_TARGET = '("business_account_id", "dedupe_key", "action_type")';

export const quoted = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

/** Where a click row's dedupe key sits: PostgreSQL's RETURNING finds its row by it. */
export const ACCOUNT = CLICK_COLUMNS.indexOf('business_account_id');
export const DEDUPE_KEY = CLICK_COLUMNS.indexOf('dedupe_key');
export const ACTION_TYPE = CLICK_COLUMNS.indexOf('action_type');
export const CLICK_ID = CLICK_COLUMNS.indexOf('click_id');

export function dedupeIdentity(account: unknown, dedupeKey: unknown, actionType: unknown): string {
  return `${String(account)}\u0000${String(dedupeKey)}\u0000${String(actionType)}`;
}

/** Orders actions by dedupe key, so concurrent transactions lock keys in one order. */
export function compareKeys(a: ClickAction, b: ClickAction): number {
  return (
    compare(a.businessAccountId, b.businessAccountId) ||
    compare(a.dedupeKey, b.dedupeKey) ||
    compare(a.actionType, b.actionType)
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function clickRow(a: ClickAction, receivedAt: number): Row {
  return [
    a.businessAccountId,
    a.phoneNumberId,
    a.displayPhoneNumber,
    a.actionType,
    a.clickComponent,
    a.clickId,
    a.productId,
    a.trackingToken,
    a.occurredAt,
    receivedAt,
    a.dedupeKey,
    a.extra === null ? null : JSON.stringify(a.extra),
  ];
}

export function trackingRow(t: TrackingEvent, receivedAt: number): Row {
  return [
    t.businessAccountId,
    t.phoneNumberId,
    t.event,
    t.clickId,
    t.trackingToken,
    t.occurredAt,
    receivedAt,
    t.dedupeKey,
    t.extra === null ? null : JSON.stringify(t.extra),
  ];
}

/** Orders tracking rows by their dedupe key (account, event, key): one lock order everywhere. */
export function compareTrackingRows(a: Row, b: Row): number {
  return (
    compare(String(a[0]), String(b[0])) ||
    compare(String(a[2]), String(b[2])) ||
    compare(String(a[7]), String(b[7]))
  );
}

export function rejectionRow(r: RejectionRecord, receivedAt: number): Row {
  if (r.kind === 'action') {
    return [
      receivedAt,
      'action',
      r.businessAccountId,
      r.path,
      textSafe(r.reason),
      JSON.stringify(r.payload),
      'utf8',
    ];
  }
  const text = utf8OrNull(r.body);
  return [
    receivedAt,
    'body',
    null,
    null,
    textSafe(r.reason),
    text ?? r.body.toString('base64'),
    text === null ? 'base64' : 'utf8',
  ];
}

export function toEntity(a: ClickAction, id: string, receivedAt: Date): ClickEvent {
  const event = new ClickEvent();
  event.id = id;
  event.businessAccountId = a.businessAccountId;
  event.phoneNumberId = a.phoneNumberId;
  event.displayPhoneNumber = a.displayPhoneNumber;
  event.actionType = a.actionType;
  event.clickComponent = a.clickComponent;
  event.clickId = a.clickId;
  event.productId = a.productId;
  event.trackingToken = a.trackingToken;
  event.occurredAt = new Date(a.occurredAt);
  event.receivedAt = receivedAt;
  event.dedupeKey = a.dedupeKey;
  event.extra = a.extra;
  return event;
}
