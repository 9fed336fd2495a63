import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byCountThenKey, sorted } from './count-order.js';

const byBytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('count order', () => {
  it('orders keys of one count as their UTF-8 bytes, surrogates and lone ones included', () => {
    const key = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }), // any code point, astral ones as surrogate pairs
      fc.string({
        unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((u) => String.fromCharCode(u)),
      }),
    );
    fc.assert(
      fc.property(key, key, (a, b) => {
        const order = Math.sign(byCountThenKey({ key: a, count: 1 }, { key: b, count: 1 }));
        expect(order).toBe(byBytes(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts the highest count first and the null key last', () => {
    const counts = new Map<string | null, number>([
      [null, 5],
      ['b', 5],
      ['\u{1F600}', 5],
      ['\uFFFD', 5],
      ['a', 2],
      ['z', 9],
    ]);
    expect(sorted(counts).map((b) => b.key)).toEqual(['z', 'b', '\uFFFD', '\u{1F600}', null, 'a']);
    expect(sorted(counts, 2).map((b) => b.key)).toEqual(['z', 'b']);
  });
});
