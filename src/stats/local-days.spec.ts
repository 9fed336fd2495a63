import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, QUARTER_MS } from '../rollups/rollup-grains.js';
import { dayPlacement } from './local-days.js';

const HOUR = 3_600_000;

describe('dayPlacement', () => {
  it('puts every quarter hour on the local day it is in, for every offset on a quarter hour', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -56, max: 56 }).map((quarters) => quarters * QUARTER_MS), // -14 h..+14 h
        fc.integer({ min: 0, max: 200_000 }), // a UTC day since 1970
        fc.integer({ min: 0, max: 95 }), // its quarter hour
        (offset, day, quarter) => {
          const { dayShift, moved, movedShift } = dayPlacement(offset);
          const timeOfDay = quarter * QUARTER_MS;
          const localDay = Math.floor((day * DAY_MS + timeOfDay + offset) / DAY_MS);
          const isMoved = moved !== null && timeOfDay >= moved.from && timeOfDay < moved.to;
          expect(day + (isMoved ? movedShift : dayShift)).toBe(localDay);
          // The day row goes where most of the day is: at most half of it is moved.
          expect(moved === null ? 0 : moved.to - moved.from).toBeLessThanOrEqual(DAY_MS / 2);
        },
      ),
    );
  });

  it('moves nothing in UTC, and 5 h 45 min of each day in Kathmandu', () => {
    expect(dayPlacement(0)).toEqual({ dayShift: 0, moved: null, movedShift: 0 });
    expect(dayPlacement(5.75 * HOUR)).toEqual({
      dayShift: 0,
      moved: { from: 18.25 * HOUR, to: DAY_MS },
      movedShift: 1,
    });
    // St. John's: UTC 00:00-03:30 is the evening before.
    expect(dayPlacement(-3.5 * HOUR)).toEqual({
      dayShift: 0,
      moved: { from: 0, to: 3.5 * HOUR },
      movedShift: -1,
    });
    // Kiritimati: most of a UTC day is the next local day.
    expect(dayPlacement(14 * HOUR)).toEqual({
      dayShift: 1,
      moved: { from: 0, to: 10 * HOUR },
      movedShift: 0,
    });
  });
});
