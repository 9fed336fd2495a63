import {
  cutDeeperThan,
  MAX_ACTIONS_PER_DELIVERY,
  MAX_BYTES,
  MAX_NESTING,
  nestsDeeperThan,
  quoted,
  setOwn,
} from './json-limits.js';
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
import { parseTrackingEvent, type TrackingEvent } from './tracking-events.parser.js';

/**
 * Meta's webhook envelope to typed click actions. Pure: no Nest, no I/O, no clock.
 *
 * Every `entry[] x changes[] x user_actions[]` is visited. An action that breaks the documented
 * shape becomes a rejection with a reason and never stops its neighbours; anything Meta adds that
 * we do not know (fields, action types) is kept, because there is no API to fetch it again.
 */

/** The object Meta names in every WhatsApp Business Account webhook. */
export const WHATSAPP_BUSINESS_ACCOUNT_OBJECT = 'whatsapp_business_account';
/** The key of the click data inside an action, as on Meta's page. */
export const CLICK_DATA_KEY = 'marketing_messages_link_click_data';

const KNOWN_ACTION_KEYS = new Set(['action_type', 'timestamp', CLICK_DATA_KEY]);
/** Byte limits of the click data's indexed fields (see MAX_BYTES). */
const FIELD_BYTES: Record<string, number | undefined> = {
  click_component: MAX_BYTES.clickComponent,
  click_id: MAX_BYTES.clickId,
  product_id: MAX_BYTES.productId,
};
const KNOWN_CLICK_DATA_KEYS = new Set([
  'click_component',
  'click_id',
  'product_id',
  'tracking_token',
]);

/** One valid user action, ready to be stored. */
export interface ClickAction {
  businessAccountId: string;
  phoneNumberId: string;
  displayPhoneNumber: string | null;
  actionType: string;
  /** As Meta sent it (`cta`, `body`, or a value Meta adds later). */
  clickComponent: string | null;
  clickId: string | null;
  productId: string | null;
  trackingToken: string | null;
  /** The action's `timestamp`, in milliseconds since the epoch. */
  occurredAt: number;
  /** Fields of the action (and of its click data) that this version does not know; null if none. */
  extra: Record<string, unknown> | null;
  /**
   * With account and action type, what makes this action unique: the `click_id` when present,
   * otherwise `fp:` and a hash of the action's own fields.
   */
  dedupeKey: string;
}

/** An action (or a whole change) that could not be read, with where it was and why. */
export interface RejectedAction {
  businessAccountId: string | null;
  /** Where in the envelope, e.g. `entry[0].changes[1].user_actions[3]`. */
  path: string;
  reason: string;
  /** The offending JSON value together with its context (entry id, metadata). */
  payload: unknown;
}

export interface ParsedClickPayload {
  /**
   * Why the delivery as a whole is refused (more actions than any delivery of Meta's), or null.
   * When set, nothing of it was parsed: the caller keeps the body as it is.
   */
  refused: string | null;
  actions: ClickAction[];
  /** What became of marketing messages before their clicks (`sent`), from `tracking_events`. */
  trackingEvents: TrackingEvent[];
  rejections: RejectedAction[];
  /**
   * Parts that are not click events and are acknowledged without storage: a whole envelope of
   * another object or shape counts once, otherwise each change of another field or without
   * `user_actions` or `tracking_events` (incoming messages, statuses...) counts once.
   */
  ignored: number;
}

/** Parses an already JSON-decoded webhook body. Never throws for any JSON value. */
export function parseClickPayload(body: unknown): ParsedClickPayload {
  const result: ParsedClickPayload = {
    refused: null,
    actions: [],
    trackingEvents: [],
    rejections: [],
    ignored: 0,
  };
  if (
    !isObject(body) ||
    body.object !== WHATSAPP_BUSINESS_ACCOUNT_OBJECT ||
    !Array.isArray(body.entry)
  ) {
    result.ignored = 1;
    return result;
  }
  const count = actionCount(body.entry);
  if (count > MAX_ACTIONS_PER_DELIVERY) {
    result.refused = `${count} actions in one delivery, more than ${MAX_ACTIONS_PER_DELIVERY} (Meta sends at most 1,000 updates per delivery): kept whole, not parsed`;
    return result;
  }
  body.entry.forEach((entry, e) => parseEntry(entry, `entry[${e}]`, result));
  return result;
}

/** How many user actions the envelope holds, counted before any is parsed. */
function actionCount(entries: unknown[]): number {
  let count = 0;
  for (const entry of entries) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes) {
      const value = isObject(change) && isObject(change.value) ? change.value : {};
      if (Array.isArray(value.user_actions)) count += value.user_actions.length;
      if (Array.isArray(value.tracking_events)) count += value.tracking_events.length;
    }
  }
  return count;
}

function parseEntry(entry: unknown, path: string, result: ParsedClickPayload): void {
  if (!isObject(entry) || !Array.isArray(entry.changes)) {
    result.ignored += 1;
    return;
  }
  const accountId = nonEmptyString(entry.id);
  entry.changes.forEach((change, c) => {
    const changePath = `${path}.changes[${c}]`;
    const value = isObject(change) ? change.value : undefined;
    if (!isObject(change) || change.field !== 'messages' || !isObject(value)) {
      result.ignored += 1;
      return;
    }
    if (!('user_actions' in value) && !('tracking_events' in value)) {
      result.ignored += 1; // messages[], statuses[]...: not ours, acknowledged
      return;
    }
    const context = { entry_id: entry.id, metadata: value.metadata };
    // What is kept of a rejection is cut at MAX_NESTING, so it can always be stored.
    const reject = (where: string, reason: string, part: Record<string, unknown>) =>
      result.rejections.push({
        businessAccountId: accountId,
        path: where,
        reason,
        payload: cutDeeperThan({ ...context, ...part }, MAX_NESTING + 2),
      });

    const metadata = isObject(value.metadata) ? value.metadata : {};
    const phoneNumberId = nonEmptyString(metadata.phone_number_id);
    const displayPhoneNumber = optionalString(metadata.display_phone_number);
    const changeProblem =
      accountId === null
        ? 'entry.id (the business account id) is missing or not a string'
        : tooLong(accountId, MAX_BYTES.businessAccountId)
          ? `entry.id (the business account id) is longer than ${MAX_BYTES.businessAccountId} bytes`
          : phoneNumberId === null
            ? 'metadata.phone_number_id is missing or not a string'
            : tooLong(phoneNumberId, MAX_BYTES.phoneNumberId)
              ? `metadata.phone_number_id is longer than ${MAX_BYTES.phoneNumberId} bytes`
              : displayPhoneNumber === INVALID
                ? 'metadata.display_phone_number is not a string'
                : null;

    if ('tracking_events' in value) {
      const items = value.tracking_events;
      if (!Array.isArray(items)) {
        reject(changePath, 'tracking_events is not an array', { tracking_events: items });
      } else {
        items.forEach((item, t) => {
          let parsed: TrackingEvent | string;
          try {
            parsed = changeProblem ?? parseTrackingEvent(item, accountId!, phoneNumberId!);
          } catch (error) {
            parsed = `the tracking event could not be read: ${error instanceof Error ? error.message : String(error)}`;
          }
          if (typeof parsed === 'string') {
            reject(`${changePath}.tracking_events[${t}]`, parsed, { tracking_event: item });
          } else result.trackingEvents.push(parsed);
        });
      }
    }
    if (!('user_actions' in value)) return;
    const actions = value.user_actions;
    if (!Array.isArray(actions)) {
      reject(changePath, 'user_actions is not an array', { user_actions: actions });
      return;
    }
    actions.forEach((action, a) => {
      const actionPath = `${changePath}.user_actions[${a}]`;
      if (changeProblem !== null) {
        reject(actionPath, changeProblem, { action });
        return;
      }
      let parsed: ClickAction | string;
      try {
        parsed = parseAction(
          action,
          accountId!,
          phoneNumberId!,
          displayPhoneNumber as string | null,
        );
      } catch (error) {
        // Every known case is a reason above; this keeps an unknown one to this action alone.
        parsed = `the action could not be read: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (typeof parsed === 'string') reject(actionPath, parsed, { action });
      else result.actions.push(parsed);
    });
  });
}

/** The action, or the reason it is rejected. */
function parseAction(
  action: unknown,
  businessAccountId: string,
  phoneNumberId: string,
  displayPhoneNumber: string | null,
): ClickAction | string {
  if (!isObject(action)) return 'action is not an object';
  if (nestsDeeperThan(action, MAX_NESTING)) {
    return `the action nests deeper than ${MAX_NESTING} levels`;
  }
  const actionType = nonEmptyString(action.action_type);
  if (actionType === null) {
    return 'action_type is missing or not a non-empty string (without NUL or lone surrogates)';
  }
  if (tooLong(actionType, MAX_BYTES.actionType)) {
    return `action_type is longer than ${MAX_BYTES.actionType} bytes`;
  }
  if (action.timestamp === undefined || action.timestamp === null) return 'timestamp is missing';
  const occurredAt = timestampToMillis(action.timestamp);
  if (occurredAt === null) {
    return `timestamp ${quoted(action.timestamp)} is not unix seconds (a number or a string of digits)`;
  }

  const rawData = action[CLICK_DATA_KEY];
  if (rawData !== undefined && rawData !== null && !isObject(rawData)) {
    return `${CLICK_DATA_KEY} is not an object`;
  }
  const data: JsonObject = rawData ?? {};
  const fields: Record<string, string | null> = {};
  for (const key of KNOWN_CLICK_DATA_KEYS) {
    const value = optionalString(data[key]);
    if (value === INVALID) {
      return `${CLICK_DATA_KEY}.${key} is not a string (without NUL or lone surrogates)`;
    }
    const limit = FIELD_BYTES[key];
    if (value !== null && limit !== undefined && tooLong(value, limit)) {
      return `${CLICK_DATA_KEY}.${key} is longer than ${limit} bytes`;
    }
    fields[key] = value;
  }

  // Unknown fields are kept as sent, `__proto__` included (setOwn).
  let extra: JsonObject | null = null;
  for (const key of Object.keys(action)) {
    if (!KNOWN_ACTION_KEYS.has(key)) setOwn((extra ??= {}), key, action[key]);
  }
  for (const key of Object.keys(data)) {
    if (KNOWN_CLICK_DATA_KEYS.has(key)) continue;
    extra ??= {};
    const unknownData = (extra[CLICK_DATA_KEY] ??= {}) as JsonObject;
    setOwn(unknownData, key, data[key]);
  }

  const clickId = fields.click_id || null;
  return {
    businessAccountId,
    phoneNumberId,
    displayPhoneNumber,
    actionType,
    clickComponent: fields.click_component ?? null,
    clickId,
    productId: fields.product_id ?? null,
    trackingToken: fields.tracking_token ?? null,
    occurredAt,
    extra,
    dedupeKey: clickId ?? fingerprint(phoneNumberId, action, occurredAt),
  };
}
