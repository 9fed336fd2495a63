import { grainsOf, type RollupDimension } from '../rollups/rollup-grains.js';
import type { RollupQueries } from '../rollups/rollup.queries.js';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import { planPieces, rollupSlice, type RollupSelection } from './rollup-plan.js';

/**
 * The total and the breakdowns with few values of one `clickStats`, read together (one read per
 * grain instead of one per field), with the first and last instant the total's buckets cover
 * (what a timeseries walks its zone over).
 */
export interface Summary {
  counts: Map<RollupDimension, Map<string | null, number>>;
  range: { min: number; max: number } | null;
}

/** The dimensions a summary reads: the total and the breakdowns with few values. */
export const SUMMARY_DIMENSIONS: readonly RollupDimension[] = [
  '',
  'click_component',
  'action_type',
  'phone_number_id',
];

/**
 * The summary of unfiltered criteria (but for time) from rollups, or null when `from`/`to` are
 * not on quarter hours (the minutes at the ends are read from the clicks, field by field).
 */
export async function readSummary(
  rollups: RollupQueries,
  criteria: ClickEventCriteria,
  selection: RollupSelection,
): Promise<Summary | null> {
  const pieces = planPieces(criteria.from, criteria.to, grainsOf(''));
  if (pieces.some((piece) => piece.grain === undefined)) return null;
  const parts = await Promise.all(
    pieces.map((piece) =>
      rollups.byDimensionAndValue(rollupSlice(criteria, selection, piece), SUMMARY_DIMENSIONS),
    ),
  );
  const summary: Summary = { counts: new Map(), range: null };
  parts.forEach((rows, i) => {
    const grain = pieces[i]!.grain!;
    for (const { dimension, key, count, min, max } of rows) {
      let counts = summary.counts.get(dimension);
      if (!counts) summary.counts.set(dimension, (counts = new Map<string | null, number>()));
      counts.set(key, (counts.get(key) ?? 0) + count);
      if (dimension !== '') continue;
      const { range } = summary;
      summary.range = {
        min: Math.min(range?.min ?? min, min),
        max: Math.max(range?.max ?? max, max + grain - 1),
      };
    }
  });
  return summary;
}
