import { CLICK_COLUMNS, type Row } from '../storage/click-rows.js';
import { rollupCombinations } from './rollup-grains.js';

/**
 * PostgreSQL (`docs/rollups.md`): what ingest and retention add to the rollups, appended as one
 * row per combination of a click's account, quarter hour and values (not ten rows a click, and
 * no row every writer updates), folded into `click_rollups` by `RollupFolding`. Statistics read
 * both through `ROLLUP_COUNTS_VIEW`.
 */
export const ROLLUP_DELTAS_TABLE = 'click_rollup_deltas';
/** PostgreSQL: the rollups, and the deltas not folded yet as rollup rows. */
export const ROLLUP_COUNTS_VIEW = 'click_rollup_counts';

export const DELTA_COLUMNS = [
  'business_account_id',
  'quarter',
  'click_component',
  'action_type',
  'phone_number_id',
  'product_id',
  'count',
] as const;

/** [account, quarter, component, action type, phone number, product, count] */
export type DeltaRow = [string, number, string | null, string, string, string | null, number];

const at = (name: (typeof CLICK_COLUMNS)[number]) => CLICK_COLUMNS.indexOf(name);
const [ACCOUNT, COMPONENT, TYPE, PHONE, PRODUCT] = [
  at('business_account_id'),
  at('click_component'),
  at('action_type'),
  at('phone_number_id'),
  at('product_id'),
];

/** The delta rows of click rows (`sign` -1: the clicks were deleted). */
export function deltaRows(clicks: readonly Row[], sign: 1 | -1): DeltaRow[] {
  return rollupCombinations(clicks).map(({ click, quarter, count }) => [
    click[ACCOUNT] as string,
    quarter,
    click[COMPONENT] as string | null,
    click[TYPE] as string,
    click[PHONE] as string,
    click[PRODUCT] as string | null,
    sign * count,
  ]);
}
