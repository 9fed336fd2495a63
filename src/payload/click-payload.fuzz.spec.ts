// Property-based: the parser is total on any JSON and on Meta-shaped deliveries with any part
// broken: it never throws, accounts for every action (kept or rejected with a reason), keeps
// every valid one, and hands on nothing a database or JSON.stringify could choke on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { delivery, validAction } from '../../test/fuzz/deliveries.js';
import { parseClickPayload } from './click-payload.parser.js';

/** FUZZ_RUNS=100000 npx vitest run src/payload/click-payload.fuzz.spec.ts for a long run. */
const numRuns = Number(process.env.FUZZ_RUNS ?? 300);

describe('parseClickPayload, fuzzed', () => {
  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        parseClickPayload(value);
      }),
      { numRuns },
    );
  });

  it('accounts for every action of a broken delivery, and keeps what is valid', () => {
    fc.assert(
      fc.property(delivery, (body) => {
        const parsed = parseClickPayload(JSON.parse(JSON.stringify(body)));
        expect(parsed.refused).toBeNull();
        let arrays = 0;
        let total = 0;
        for (const entry of body.entry) {
          const actions = entry.changes[0]!.value.user_actions;
          if (entry.changes[0]!.field !== 'messages') continue;
          if (Array.isArray(actions)) {
            arrays += 1;
            total += actions.length;
          }
        }
        const changeLevel = parsed.rejections.filter((r) => !r.path.includes('user_actions['));
        expect(parsed.actions.length + parsed.rejections.length - changeLevel.length).toBe(total);
        expect(changeLevel.length + arrays).toBeLessThanOrEqual(body.entry.length);
        for (const rejection of parsed.rejections) {
          expect(rejection.reason.length).toBeGreaterThan(0);
          expect(() => JSON.stringify(rejection.payload)).not.toThrow();
        }
        for (const action of parsed.actions) {
          expect(() => JSON.stringify(action.extra)).not.toThrow();
          expect(Buffer.byteLength(action.dedupeKey)).toBeLessThanOrEqual(512);
        }
      }),
      { numRuns },
    );
  });

  it('keeps every action of a valid delivery', () => {
    fc.assert(
      fc.property(fc.array(validAction, { minLength: 1, maxLength: 50 }), (actions) => {
        const body = {
          object: 'whatsapp_business_account',
          entry: [
            {
              id: 'waba',
              changes: [
                {
                  field: 'messages',
                  value: { metadata: { phone_number_id: 'p' }, user_actions: actions },
                },
              ],
            },
          ],
        };
        const parsed = parseClickPayload(body);
        expect(parsed.rejections).toEqual([]);
        expect(parsed.actions).toHaveLength(actions.length);
      }),
      { numRuns },
    );
  });
});
