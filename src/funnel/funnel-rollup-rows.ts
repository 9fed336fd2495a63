import { DAY_MS, FOUR_WEEKS_MS, QUARTER_MS, rollupValue } from '../rollups/rollup-grains.js';
import { CLICK_COLUMNS, TRACKING_COLUMNS } from '../storage/click-rows.js';

/**
 * Funnel counts per account, bucket of the click's time, breakdown value, step and currency
 * (`docs/funnel-rollups.md`): what `clickFunnel` would count from the tables, kept as steps
 * arrive.
 */
export const FUNNEL_ROLLUP_TABLE = 'click_funnel_rollups';
/** The rows the funnel rollups have not counted yet (`FunnelCounter` counts them). */
export const FUNNEL_QUEUE_TABLE = 'click_funnel_queue';
/** A queued row's table: a click (link click or an action with a click id), conversion, `sent`. */
export type QueuedKind = 'k' | 'c' | 't';

/** The action type of a click on a marketing message: the funnel's cohort. */
export const LINK_CLICK = 'marketing_messages_link_click';

/** The `currency` of a step's count row; value rows carry `rollupValue(currency)` ('' or '=…'). */
export const REACHED = '*';

export type FunnelDimension = '' | 'click_component' | 'phone_number_id' | 'product_id';

/** What is counted at each grain, longest first, as the statistics' rollups (less action type). */
export const FUNNEL_GRAINS: readonly { grain: number; dimensions: readonly FunnelDimension[] }[] = [
  { grain: FOUR_WEEKS_MS, dimensions: ['product_id'] },
  { grain: DAY_MS, dimensions: ['', 'click_component', 'phone_number_id', 'product_id'] },
  { grain: QUARTER_MS, dimensions: ['', 'click_component', 'phone_number_id'] },
];

/** `sent` is a tracking event: it has an account and a phone number, no click to break down. */
export const SENT_DIMENSIONS: readonly FunnelDimension[] = ['', 'phone_number_id'];

export function funnelGrainsOf(dimension: FunnelDimension): number[] {
  return FUNNEL_GRAINS.filter((g) => g.dimensions.includes(dimension)).map((g) => g.grain);
}

export const FUNNEL_ROLLUP_COLUMNS = [
  'business_account_id',
  'dimension',
  'grain',
  'bucket',
  'value',
  'step',
  'currency',
  'count',
  'total',
] as const;
export const FUNNEL_ROLLUP_KEY =
  '("business_account_id", "dimension", "grain", "bucket", "value", "step", "currency")';

/** [account, dimension, grain, bucket, value, step, currency, count, total] */
export type FunnelRollupRow = [
  string,
  string,
  number,
  number,
  string,
  string,
  string,
  number,
  number,
];

/** A link click, as the funnel counts it (the cohort's member). */
export interface FunnelLink {
  id: string;
  account: string;
  occurredAt: number;
  component: string | null;
  product: string | null;
  phone: string | null;
}

/** Everything stored under one click id that the funnel counts. */
export interface FunnelState {
  /** Link clicks with this click id (one per account, normally one in all). */
  links: FunnelLink[];
  /** Meta's other actions with it as their key: steps named by their action type. */
  actions: { id: string; account: string; type: string }[];
  /** Conversions reported for it: steps named by their event, values summed per currency. */
  conversions: { id: string; event: string; currency: string | null; value: number | null }[];
}

/** Steps a conversion or an action can never be: the cohort itself and the tracking event. */
const RESERVED = new Set(['click', 'sent', LINK_CLICK]);

/** One rollup row's key but the step and currency: a bucket of a link's time and a value. */
interface Slot {
  prefix: string;
  account: string;
  dimension: FunnelDimension;
  grain: number;
  bucket: number;
  value: string;
}

type Counted = Pick<FunnelLink, 'account' | 'occurredAt' | 'component' | 'product' | 'phone'>;

/** Sums funnel rows per key, dropping what adds to nothing. */
export class FunnelRows {
  private readonly rows = new Map<string, FunnelRollupRow>();

  /** The buckets and values a link (or a `sent` event) counts in, at every grain it is kept. */
  private slots(
    link: Counted,
    only?: (grain: number, dimension: FunnelDimension) => boolean,
  ): Slot[] {
    const slots: Slot[] = [];
    for (const { grain, dimensions } of FUNNEL_GRAINS) {
      const bucket = Math.floor(link.occurredAt / grain) * grain;
      for (const dimension of dimensions) {
        if (only && !only(grain, dimension)) continue;
        const value =
          dimension === ''
            ? ''
            : rollupValue(
                dimension === 'click_component'
                  ? link.component
                  : dimension === 'product_id'
                    ? link.product
                    : link.phone,
              );
        const prefix = `${link.account}\u0000${dimension}\u0000${grain}\u0000${bucket}\u0000${value}\u0000`;
        slots.push({ prefix, account: link.account, dimension, grain, bucket, value });
      }
    }
    return slots;
  }

  private addAt(
    slots: readonly Slot[],
    step: string,
    currency: string,
    count: number,
    total: number,
  ) {
    for (const slot of slots) {
      const key = `${slot.prefix}${step}\u0000${currency}`;
      const row = this.rows.get(key);
      if (row) {
        row[7] += count;
        row[8] += total;
      } else {
        const { account, dimension, grain, bucket, value } = slot;
        this.rows.set(key, [
          account,
          dimension,
          grain,
          bucket,
          value,
          step,
          currency,
          count,
          total,
        ]);
      }
    }
  }

  /** A `sent` tracking event (sign -1: one deleted), in its account's and phone's buckets. */
  addSent(account: string, phone: string | null, occurredAt: number, sign: number): void {
    const at = { account, occurredAt, component: null, product: null, phone };
    const slots = this.slots(
      at,
      (grain, dimension) => grain !== FOUR_WEEKS_MS && SENT_DIMENSIONS.includes(dimension),
    );
    this.addAt(slots, 'sent', REACHED, sign, 0);
  }

  /**
   * What the state's links count, less what they count without the `changed` rows (ids of
   * click_events and click_conversions rows in the state), times `sign`: the rows to add for an
   * insert (state after it, sign 1) or a delete (state before it, sign -1).
   */
  addChange(
    state: FunnelState,
    changed: { clicks: ReadonlySet<string>; conversions: ReadonlySet<string> },
    sign: 1 | -1,
  ): void {
    const without: FunnelState = {
      links: state.links.filter((link) => !changed.clicks.has(link.id)),
      actions: state.actions.filter((action) => !changed.clicks.has(action.id)),
      conversions: state.conversions.filter((c) => !changed.conversions.has(c.id)),
    };
    for (const link of state.links) {
      this.addLink(link, state, sign);
      if (!changed.clicks.has(link.id)) this.addLink(link, without, -sign);
    }
  }

  /** Everything a link of the state counts, times `sign`. */
  addLink(link: FunnelLink, state: FunnelState, sign: number): void {
    const slots = this.slots(link);
    this.addAt(slots, 'click', REACHED, sign, 0);
    const steps = new Set<string>();
    for (const action of state.actions) {
      if (action.account === link.account) steps.add(action.type);
    }
    for (const conversion of state.conversions) {
      steps.add(conversion.event);
      if (conversion.value === null || RESERVED.has(conversion.event)) continue;
      this.addAt(
        slots,
        conversion.event,
        rollupValue(conversion.currency),
        sign,
        sign * conversion.value,
      );
    }
    for (const step of steps) if (!RESERVED.has(step)) this.addAt(slots, step, REACHED, sign, 0);
  }

  /**
   * The summed rows, none that adds nothing; `inKeyOrder` for PostgreSQL, whose concurrent
   * transactions must update shared rows in one order (SQLite has one writer).
   */
  list(inKeyOrder = false): FunnelRollupRow[] {
    const entries = [...this.rows.entries()].filter(([, row]) => row[7] !== 0 || row[8] !== 0);
    if (inKeyOrder) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.map(([, row]) => row);
  }
}

const TRACKING_ACCOUNT = TRACKING_COLUMNS.indexOf('business_account_id');
const TRACKING_PHONE = TRACKING_COLUMNS.indexOf('phone_number_id');
const TRACKING_EVENT = TRACKING_COLUMNS.indexOf('event');
const TRACKING_OCCURRED_AT = TRACKING_COLUMNS.indexOf('occurred_at');

/** Adds (sign 1) or takes out (-1) the `sent` ones of tracking rows (`TRACKING_COLUMNS` order). */
export function addSentRows(
  into: FunnelRows,
  rows: readonly (readonly unknown[])[],
  sign: 1 | -1,
): FunnelRows {
  for (const row of rows) {
    if (row[TRACKING_EVENT] !== 'sent') continue;
    const phone = row[TRACKING_PHONE] as string | null;
    into.addSent(row[TRACKING_ACCOUNT] as string, phone, Number(row[TRACKING_OCCURRED_AT]), sign);
  }
  return into;
}

const EMPTY_STATE: FunnelState = { links: [], actions: [], conversions: [] };
const column = (name: (typeof CLICK_COLUMNS)[number]) => CLICK_COLUMNS.indexOf(name);
const [ACCOUNT, TYPE, CLICK_ID, AT, COMPONENT, PRODUCT, PHONE] = [
  column('business_account_id'),
  column('action_type'),
  column('click_id'),
  column('occurred_at'),
  column('click_component'),
  column('product_id'),
  column('phone_number_id'),
];

/**
 * Adds (sign 1) or takes out (-1) the link clicks without a click id among click rows
 * (`CLICK_COLUMNS` order) with their ids: they are in the cohort, and can reach no other step.
 */
export function addLinksWithoutClickId(
  into: FunnelRows,
  rows: readonly { id: string; row: readonly unknown[] }[],
  sign: 1 | -1,
): FunnelRows {
  for (const { id, row } of rows) {
    if (row[TYPE] !== LINK_CLICK || row[CLICK_ID] !== null) continue;
    const link: FunnelLink = {
      id,
      account: row[ACCOUNT] as string,
      occurredAt: Number(row[AT]),
      component: row[COMPONENT] as string | null,
      product: row[PRODUCT] as string | null,
      phone: row[PHONE] as string | null,
    };
    into.addLink(link, EMPTY_STATE, sign);
  }
  return into;
}
