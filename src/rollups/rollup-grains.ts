import type { BreakdownColumn } from '../storage/click-event.queries.js';
import { CLICK_COLUMNS, type Row } from '../storage/click-rows.js';

/** Counts of new clicks per account, time bucket and breakdown value (`docs/rollups.md`). */
export const ROLLUP_TABLE = 'click_rollups';
/** How far the rollups of clicks stored before them have been built. */
export const BACKFILL_TABLE = 'click_rollup_backfill';

/**
 * 15 minutes: every offset of every IANA zone today is a multiple of it, and changes on it (a
 * few changed at one minute past until 2022: statistics then read the clicks, `quartersAlign`).
 */
export const QUARTER_MS = 900_000;
export const DAY_MS = 86_400_000;
/** Four weeks since the epoch: products, whose day rows grow with the catalogue, over months. */
export const FOUR_WEEKS_MS = 28 * DAY_MS;

/** A breakdown column, or '' for the total. */
export type RollupDimension = '' | BreakdownColumn;

/**
 * What is counted at each grain, longest first (each divides the one before). Quarters serve
 * timeseries and the ends of a range; days the breakdowns; products, the one dimension with
 * many values (a row per product and bucket), also per four weeks, and never per quarter.
 */
export const ROLLUP_GRAINS: readonly { grain: number; dimensions: readonly RollupDimension[] }[] = [
  { grain: FOUR_WEEKS_MS, dimensions: ['product_id'] },
  {
    grain: DAY_MS,
    dimensions: ['', 'click_component', 'action_type', 'phone_number_id', 'product_id'],
  },
  { grain: QUARTER_MS, dimensions: ['', 'click_component', 'action_type', 'phone_number_id'] },
];

/** The grains that count `dimension`, longest first. */
export function grainsOf(dimension: RollupDimension): number[] {
  return ROLLUP_GRAINS.filter((g) => g.dimensions.includes(dimension)).map((g) => g.grain);
}

/** A breakdown value as a rollup key: '' for an absent value, '=' and the value otherwise. */
export function rollupValue(value: string | null): string {
  return value === null ? '' : `=${value}`;
}

export function fromRollupValue(value: string): string | null {
  return value === '' ? null : value.slice(1);
}

/** SQL of `rollupValue` over a column. */
export function rollupValueSql(column: string): string {
  return `CASE WHEN ${column} IS NULL THEN '' ELSE '=' || ${column} END`;
}

/** Columns of a rollup row, its key first. */
export const ROLLUP_COLUMNS = [
  'business_account_id',
  'dimension',
  'grain',
  'bucket',
  'value',
  'count',
] as const;
export const ROLLUP_KEY = '("business_account_id", "dimension", "grain", "bucket", "value")';

/** [account, dimension, grain, bucket, value, count] */
export type RollupRow = [string, string, number, number, string, number];

const column = (name: (typeof CLICK_COLUMNS)[number]) => CLICK_COLUMNS.indexOf(name);
const ACCOUNT = column('business_account_id');
const OCCURRED_AT = column('occurred_at');
const DIMENSION_INDEX: Record<BreakdownColumn, number> = {
  click_component: column('click_component'),
  action_type: column('action_type'),
  phone_number_id: column('phone_number_id'),
  product_id: column('product_id'),
};
const COMPONENT = DIMENSION_INDEX.click_component;
const TYPE = DIMENSION_INDEX.action_type;
const PHONE = DIMENSION_INDEX.phone_number_id;
const PRODUCT = DIMENSION_INDEX.product_id;

/** Clicks of one account, quarter hour and values: what they add to every rollup is the same. */
export interface Combination {
  /** One of them (its values). */
  click: Row;
  quarter: number;
  count: number;
}

/** Maps keyed by one value after another: a key string per click cost more than the rest. */
type Tree = Map<unknown, unknown>;

function branch(tree: Tree, key: unknown): Tree {
  let next = tree.get(key) as Tree | undefined;
  if (next === undefined) tree.set(key, (next = new Map()));
  return next;
}

/**
 * `clicks` (click rows) by combination of account, quarter hour and the values the rollups
 * count, in the order of their first click: the clicks of a delivery mostly share them.
 */
export function rollupCombinations(clicks: readonly Row[]): Combination[] {
  const combinations: Combination[] = [];
  const tree: Tree = new Map();
  for (const click of clicks) {
    const quarter = Math.floor((click[OCCURRED_AT] as number) / QUARTER_MS) * QUARTER_MS;
    // null and '' are distinct keys of a Map, as they are distinct values of a column.
    const products = branch(
      branch(branch(branch(branch(tree, click[ACCOUNT]), quarter), click[COMPONENT]), click[TYPE]),
      click[PHONE],
    );
    const combination = products.get(click[PRODUCT]) as Combination | undefined;
    if (combination) combination.count++;
    else {
      const made = { click, quarter, count: 1 };
      products.set(click[PRODUCT], made);
      combinations.push(made);
    }
  }
  return combinations;
}

/** Each grain with each dimension it counts, and where a click row holds that dimension. */
const SLOTS = ROLLUP_GRAINS.flatMap(({ grain, dimensions }) =>
  dimensions.map((dimension) => ({
    grain,
    dimension,
    index: dimension === '' ? -1 : DIMENSION_INDEX[dimension],
  })),
);

/**
 * What `clicks` (click rows, all new) add to the rollups, one row per key, summed (SQLite's
 * writers; PostgreSQL's append `deltaRows`). Counted per combination first, each combination
 * then adds to its rows: per grain and dimension, by account, bucket and value.
 */
export function rollupRows(clicks: readonly Row[]): RollupRow[] {
  const rows: RollupRow[] = [];
  const trees: Tree[] = SLOTS.map(() => new Map());
  for (const { click, quarter, count } of rollupCombinations(clicks)) {
    const account = click[ACCOUNT] as string;
    for (let s = 0; s < SLOTS.length; s++) {
      const { grain, dimension, index } = SLOTS[s]!;
      // Each grain divides the longer ones, so the quarter's bucket is the time's.
      const bucket = Math.floor(quarter / grain) * grain;
      const raw = index < 0 ? '' : (click[index] as string | null);
      const values = branch(branch(trees[s]!, account), bucket);
      const row = values.get(raw) as RollupRow | undefined;
      if (row) row[5] += count;
      else {
        const made: RollupRow = [
          account,
          dimension,
          grain,
          bucket,
          index < 0 ? '' : rollupValue(raw),
          count,
        ];
        values.set(raw, made);
        rows.push(made);
      }
    }
  }
  return rows;
}

/**
 * SQL selecting the rollup rows of the rows matched by `where` in `from`, for an INSERT …
 * SELECT: the same rows as `rollupRows`, computed by the database, in key order. From
 * `click_events` by default; `time` and `count` name what else holds a time and a count (the
 * combinations of `click_rollup_deltas`: their quarter, their count).
 */
export function rollupSelectSql(
  where: string,
  from = '"click_events"',
  { time = '"occurred_at"', count = 'COUNT(*)' } = {},
): string {
  const parts: string[] = [];
  for (const { grain, dimensions } of ROLLUP_GRAINS) {
    for (const dimension of dimensions) {
      const value = dimension === '' ? "''" : rollupValueSql(`"${dimension}"`);
      parts.push(
        `SELECT "business_account_id" AS a, '${dimension}' AS d, ${grain} AS g, ` +
          `(${time} / ${grain}) * ${grain} AS b, ${value} AS v, ${count} AS n ` +
          `FROM ${from} WHERE ${where} GROUP BY 1, 4, 5`,
      );
    }
  }
  return (
    // Each (dimension, grain) is counted on its own (smaller groups), then all in key order.
    `SELECT a, d, g, b, v, n FROM (${parts.join(' UNION ALL ')}) AS "rows" ORDER BY a, d, g, b, v`
  );
}
