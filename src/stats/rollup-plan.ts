import { QUARTER_MS, type RollupDimension } from '../rollups/rollup-grains.js';
import type { BreakdownColumn, ClickEventCriteria } from '../storage/click-event.queries.js';
import { rollupValue } from '../rollups/rollup-grains.js';
import type { RollupSlice } from '../rollups/rollup.queries.js';
import type { OffsetSegment } from './time-buckets.js';

/**
 * A stretch of [from, to) answered by one source: the rollups of one grain (whole buckets), or
 * the clicks themselves (`grain` undefined). Open ends are undefined.
 */
export interface Piece {
  grain?: number;
  from?: number;
  to?: number;
}

/**
 * Cuts [from, to) into stretches each read from the longest grain that covers it whole, the
 * ends from shorter grains, and what no grain covers (less than the shortest grain at each end)
 * from the clicks: exact for any from/to, and mostly rollups. `grains` longest first.
 */
export function planPieces(
  from: number | undefined,
  to: number | undefined,
  grains: readonly number[],
): Piece[] {
  if (from !== undefined && to !== undefined && from >= to) return [];
  const [grain, ...shorter] = grains;
  if (grain === undefined) return [{ from, to }];
  const start = from === undefined ? undefined : Math.ceil(from / grain) * grain;
  const end = to === undefined ? undefined : Math.floor(to / grain) * grain;
  if (start !== undefined && end !== undefined && start >= end) {
    return planPieces(from, to, shorter);
  }
  return [
    ...(from !== undefined && from < start! ? planPieces(from, start, shorter) : []),
    { grain, from: start, to: end },
    ...(to !== undefined && end! < to ? planPieces(end, to, shorter) : []),
  ];
}

/** The rollup rows that count what `criteria` selects, or null when no rollup does. */
export interface RollupSelection {
  dimension: RollupDimension;
  /** The `rollupValue` of the one filtered dimension, '' for the total. */
  value: string;
}

/**
 * Rollups count per account and per single dimension: they answer criteria with at most one
 * of the breakdown filters, and no clickId.
 */
export function rollupSelection(criteria: ClickEventCriteria): RollupSelection | null {
  if (criteria.clickId !== undefined) return null;
  const filters: [BreakdownColumn, string | undefined][] = [
    ['click_component', criteria.clickComponent],
    ['action_type', criteria.actionType],
    ['phone_number_id', criteria.phoneNumberId],
    ['product_id', criteria.productId],
  ];
  const given = filters.filter(([, value]) => value !== undefined);
  if (given.length === 0) return { dimension: '', value: '' };
  if (given.length > 1) return null;
  const [dimension, value] = given[0]!;
  return { dimension, value: rollupValue(value!) };
}

/**
 * Whether quarter-hour counts fall whole into the zone's buckets: every offset, and every
 * change of offset after the first segment's start, on a quarter hour. True for every zone
 * today; not for local mean times, offsets such as Monrovia's -00:44:30 (until 1972), nor
 * changes at a minute past (St. John's until 2011, Casey in 2022).
 */
export function quartersAlign(segments: readonly OffsetSegment[]): boolean {
  return segments.every(
    (segment, i) =>
      segment.offset % QUARTER_MS === 0 && (i === 0 || segment.start % QUARTER_MS === 0),
  );
}

/** The rollup rows of `selection` over one piece (of a rollup grain). */
export function rollupSlice(
  criteria: ClickEventCriteria,
  selection: RollupSelection,
  piece: Piece,
): RollupSlice {
  return {
    businessAccountId: criteria.businessAccountId,
    dimension: selection.dimension,
    value: selection.value,
    grain: piece.grain!,
    from: piece.from,
    to: piece.to,
  };
}
