import { describe, expect, it } from 'vitest';
import { DAY_MS, QUARTER_MS } from '../rollups/rollup-grains.js';
import { planPieces, quartersAlign, rollupSelection } from './rollup-plan.js';
import { offsetSegments } from './time-buckets.js';

const DAY = Date.UTC(2025, 3, 1);

describe('planPieces', () => {
  it('reads an open range from the longest grain alone', () => {
    expect(planPieces(undefined, undefined, [DAY_MS, QUARTER_MS])).toEqual([
      { grain: DAY_MS, from: undefined, to: undefined },
    ]);
  });

  it('reads whole days from days, the ends from quarters, and the rest from the clicks', () => {
    const from = DAY - 2 * QUARTER_MS - 5; // 5 ms before a quarter, two quarters before a day
    const to = DAY + 3 * DAY_MS + QUARTER_MS + 7;
    expect(planPieces(from, to, [DAY_MS, QUARTER_MS])).toEqual([
      { from, to: DAY - 2 * QUARTER_MS },
      { grain: QUARTER_MS, from: DAY - 2 * QUARTER_MS, to: DAY },
      { grain: DAY_MS, from: DAY, to: DAY + 3 * DAY_MS },
      { grain: QUARTER_MS, from: DAY + 3 * DAY_MS, to: DAY + 3 * DAY_MS + QUARTER_MS },
      { from: DAY + 3 * DAY_MS + QUARTER_MS, to },
    ]);
  });

  it('falls to shorter grains when a range holds no whole bucket, and to nothing when empty', () => {
    expect(planPieces(DAY + 1, DAY + 2 * QUARTER_MS + 2, [DAY_MS, QUARTER_MS])).toEqual([
      { from: DAY + 1, to: DAY + QUARTER_MS },
      { grain: QUARTER_MS, from: DAY + QUARTER_MS, to: DAY + 2 * QUARTER_MS },
      { from: DAY + 2 * QUARTER_MS, to: DAY + 2 * QUARTER_MS + 2 },
    ]);
    expect(planPieces(DAY + 5, DAY + 9, [DAY_MS, QUARTER_MS])).toEqual([
      { from: DAY + 5, to: DAY + 9 },
    ]);
    expect(planPieces(DAY, DAY, [DAY_MS])).toEqual([]);
  });

  it('covers any range exactly once', () => {
    for (let i = 0; i < 500; i++) {
      const a = DAY + Math.floor(Math.random() * 5 * DAY_MS);
      const b = a + Math.floor(Math.random() * 4 * DAY_MS);
      const pieces = planPieces(a, b, [DAY_MS, QUARTER_MS]);
      let at = a;
      for (const piece of pieces) {
        expect(piece.from).toBe(at);
        if (piece.grain !== undefined) {
          expect(piece.from! % piece.grain).toBe(0);
          expect(piece.to! % piece.grain).toBe(0);
        }
        at = piece.to!;
      }
      expect(at).toBe(a === b ? a : b);
    }
  });
});

describe('rollupSelection', () => {
  it('answers with the total, or one dimension; not with two, nor with a clickId', () => {
    expect(rollupSelection({ businessAccountId: 'a', from: 1 })).toEqual({
      dimension: '',
      value: '',
    });
    expect(rollupSelection({ businessAccountId: 'a', productId: '' })).toEqual({
      dimension: 'product_id',
      value: '=',
    });
    expect(rollupSelection({ businessAccountId: 'a', productId: 'p', actionType: 't' })).toBe(null);
    expect(rollupSelection({ businessAccountId: 'a', clickId: 'c' })).toBe(null);
  });
});

describe('quartersAlign', () => {
  it('holds for every IANA zone from 2023 to 2033', () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2033, 0, 1);
    const odd = Intl.supportedValuesOf('timeZone').filter(
      (zone) => !quartersAlign(offsetSegments(zone, from, to)),
    );
    expect(odd).toEqual([]);
  });

  it('fails for offsets off the quarter hour, and for changes at a minute past', () => {
    const year = (zone: string, y: number) =>
      quartersAlign(offsetSegments(zone, Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)));
    expect(year('Africa/Monrovia', 1971)).toBe(false); // -00:44:30
    expect(year('America/St_Johns', 2010)).toBe(false); // changed at 00:01 local until 2011
    expect(year('Antarctica/Casey', 2022)).toBe(false); // at 00:01 in 2022
    expect(year('America/St_Johns', 2025)).toBe(true);
  });
});
