import { DAY_MS } from '../rollups/rollup-grains.js';

/**
 * Where a UTC day's counts go in a DAY timeseries of a zone with one fixed offset: the day row
 * of UTC day `x` (days since 1970-01-01) counts for local day `x + dayShift`, the one that
 * holds most of it; its quarter hours whose time of day is in `moved` (ms since UTC midnight,
 * [from, to)) are on local day `x + movedShift` instead. `moved` is null when the offset is a
 * whole number of days (UTC). So a local day's count is its day rows, less their moved quarter
 * hours, plus the moved quarter hours of the UTC day beside it: at most 12 hours of quarter
 * hours a day are read, instead of 24.
 */
export interface DayPlacement {
  dayShift: number;
  moved: { from: number; to: number } | null;
  movedShift: number;
}

/** @param offset the zone's offset from UTC in ms (local = UTC + offset) */
export function dayPlacement(offset: number): DayPlacement {
  const within = ((offset % DAY_MS) + DAY_MS) % DAY_MS; // [0, DAY_MS)
  const days = (offset - within) / DAY_MS;
  if (within === 0) return { dayShift: days, moved: null, movedShift: days };
  // Local midnight falls at UTC (DAY_MS - within): the UTC day's end belongs to the next
  // local day, its start to the local day before; the smaller part is the one moved.
  if (within < DAY_MS / 2) {
    return { dayShift: days, moved: { from: DAY_MS - within, to: DAY_MS }, movedShift: days + 1 };
  }
  return { dayShift: days + 1, moved: { from: 0, to: DAY_MS - within }, movedShift: days };
}
