import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DAY_MS, fromRollupValue, QUARTER_MS, rollupValue } from '../rollups/rollup-grains.js';
import { CLICK_SCANS, type ClickScans } from '../scans/click-scans.js';
import { type Piece, planPieces } from '../stats/rollup-plan.js';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { type FunnelColumn, RawFunnel } from './funnel-raw.js';
import { type FunnelDimension, funnelGrainsOf, LINK_CLICK, REACHED } from './funnel-rollup-rows.js';
import { FunnelRollupReads } from './funnel-rollup.reads.js';
import {
  addValues,
  compareKeys,
  type FunnelValue,
  type FunnelValueSums,
  valueList,
} from './funnel-sql.js';

export const DEFAULT_FUNNEL_STEPS = ['sent', 'click', 'landing_page_view'] as const;
export const MAX_FUNNEL_STEPS = 10;
export const FUNNEL_STEP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export type { FunnelValue } from './funnel-sql.js';
export type { FunnelColumn } from './funnel-raw.js';
export { LINK_CLICK } from './funnel-rollup-rows.js';

/** A funnel of the clicks with one value of a column (null: clicks without it). */
export interface FunnelGroup {
  key: string | null;
  steps: FunnelStep[];
}

export interface FunnelStep {
  name: string;
  count: number;
  /** `count` over the step before's, or null for the first step (or after a step of 0). */
  rate: number | null;
  values: FunnelValue[];
}

/** Counts and value sums per step, of one group of the cohort. */
interface GroupTally {
  counts: Map<string, number>;
  sums: Map<string, FunnelValueSums>;
}

/** Per group key (null: the whole cohort, or clicks without the breakdown's value). */
type Tally = Map<string | null, GroupTally>;

/** Where the rollups answer: their rows, and the pieces of the range (rollups or tables). */
interface FunnelPlan {
  usable: boolean;
  dimension: FunnelDimension;
  value?: string;
  pieces: Piece[];
}

/** `sent` tracking events are counted per account and phone number, days and quarters. */
const SENT_GRAINS = [DAY_MS, QUARTER_MS];

/**
 * The click funnel of one account (`clickFunnel`): `sent` (tracking events), `click` (the link
 * clicks the criteria select: the cohort), then any other step for the clicks of that cohort
 * that reached it, by their `click_id`: a Meta action of that type (`landing_page_view`) or a
 * conversion of that event, whichever came first and in any order. Conversion values are summed
 * per currency. Read from the funnel rollups (`docs/funnel-rollups.md`) where they answer: no
 * clickId, at most one filter of component, product and phone (and a breakdown by that one),
 * the counter not far behind; the rest from the tables.
 */
@Injectable()
export class ClickFunnelService {
  private readonly raw: RawFunnel;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    @Inject(FunnelRollupReads) private readonly rollups: FunnelRollupReads,
    @Optional() @Inject(CLICK_SCANS) scans?: ClickScans,
  ) {
    this.raw = new RawFunnel(dataSource, scans);
  }

  async funnel(
    criteria: ClickEventCriteria,
    steps: readonly string[] = DEFAULT_FUNNEL_STEPS,
  ): Promise<FunnelStep[]> {
    // A step named twice is counted once (and shown twice).
    const named = [...new Set(steps)].filter((name) => name !== 'sent');
    const tally: Tally = new Map();
    await this.count(tally, criteria, named, undefined);
    const whole = group(tally, null);
    const sent = steps.includes('sent') ? await this.countSent(criteria) : 0;
    const result: FunnelStep[] = [];
    for (const name of steps) {
      const count = name === 'sent' ? sent : (whole.counts.get(name) ?? 0);
      const before = result.at(-1)?.count;
      const values = valueList(whole.sums.get(name) ?? new Map<string | null, FunnelValue>());
      result.push({ name, count, rate: before ? count / before : null, values });
    }
    return result;
  }

  /**
   * The funnel per value of `column` of the cohort's clicks, the largest cohorts first (at most
   * `limit`): every step but `sent`, which has no click to be broken down by.
   */
  async breakdown(
    criteria: ClickEventCriteria,
    steps: readonly string[],
    column: FunnelColumn,
    limit: number,
  ): Promise<FunnelGroup[]> {
    const named = steps.filter((name) => name !== 'sent');
    // `click` always: its counts are the groups.
    const tally: Tally = new Map();
    await this.count(tally, criteria, [...new Set([...named, 'click'])], column);
    const keys = [...tally.entries()]
      .map(([key, g]) => [key, g.counts.get('click') ?? 0] as const)
      .filter(([, clicks]) => clicks > 0)
      .sort(([ka, a], [kb, b]) => b - a || compareKeys(ka, kb))
      .slice(0, limit)
      .map(([key]) => key);
    return keys.map((key) => {
      const { counts, sums } = group(tally, key);
      const groupSteps: FunnelStep[] = [];
      for (const name of named) {
        const count = counts.get(name) ?? 0;
        const before = groupSteps.at(-1)?.count;
        const values = sums.get(name);
        groupSteps.push({
          name,
          count,
          rate: before ? count / before : null,
          values: values ? valueList(values) : [],
        });
      }
      return { key, steps: groupSteps };
    });
  }

  /** Counts the steps (not `sent`) into `tally`, per value of `column` if given. */
  private async count(
    tally: Tally,
    criteria: ClickEventCriteria,
    steps: readonly string[],
    column: FunnelColumn | undefined,
  ): Promise<void> {
    const plan = this.plan(criteria, steps, column);
    const rolled = plan.pieces.filter((piece) => piece.grain !== undefined);
    const sums = plan.usable
      ? await this.rollups.read(
          rolled.map((piece) => ({
            businessAccountId: criteria.businessAccountId,
            dimension: plan.dimension,
            value: plan.value,
            grain: piece.grain!,
            from: piece.from,
            to: piece.to,
            steps,
          })),
        )
      : null;
    if (!sums) return this.countRaw(tally, criteria, steps, column);
    for (const sum of sums.flat()) {
      const into = group(tally, column ? sum.key : null);
      if (sum.currency === REACHED) {
        into.counts.set(sum.step, (into.counts.get(sum.step) ?? 0) + sum.count);
        continue;
      }
      const currency = fromRollupValue(sum.currency);
      addValues(sumsOf(into, sum.step), [{ currency, sum: sum.total, count: sum.count }]);
    }
    for (const piece of plan.pieces) {
      if (piece.grain !== undefined) continue;
      await this.countRaw(tally, { ...criteria, from: piece.from, to: piece.to }, steps, column);
    }
  }

  private async countRaw(
    tally: Tally,
    criteria: ClickEventCriteria,
    steps: readonly string[],
    column: FunnelColumn | undefined,
  ): Promise<void> {
    for await (const part of this.raw.parts(criteria)) {
      for (const name of steps) {
        if (column === undefined) {
          const into = group(tally, null);
          into.counts.set(
            name,
            (into.counts.get(name) ?? 0) + (await this.raw.countStep(part, name)),
          );
          if (name !== 'click') addValues(sumsOf(into, name), await this.raw.values(part, name));
          continue;
        }
        for (const [key, n] of await this.raw.countStepBy(part, name, column)) {
          const into = group(tally, key);
          into.counts.set(name, (into.counts.get(name) ?? 0) + n);
        }
        if (name === 'click') continue;
        for (const [key, values] of await this.raw.valuesBy(part, name, column)) {
          addValues(sumsOf(group(tally, key), name), values);
        }
      }
    }
  }

  /**
   * The rollups' rows and pieces for the criteria; not `usable` where they cannot answer: a
   * clickId, two filters (or one and a breakdown by another column), or the link click's own
   * action type as a step.
   */
  private plan(
    criteria: ClickEventCriteria,
    steps: readonly string[],
    column: FunnelColumn | undefined,
  ): FunnelPlan {
    const filters = (
      [
        ['click_component', criteria.clickComponent],
        ['product_id', criteria.productId],
        ['phone_number_id', criteria.phoneNumberId],
      ] as const
    ).filter(([, value]) => value !== undefined);
    const [filter] = filters;
    const dimension: FunnelDimension = column ?? filter?.[0] ?? '';
    return {
      usable:
        criteria.clickId === undefined &&
        !steps.includes(LINK_CLICK) &&
        filters.length <= 1 &&
        !(filter && column && filter[0] !== column),
      dimension,
      value: filter ? rollupValue(filter[1]!) : undefined,
      pieces: planPieces(criteria.from, criteria.to, funnelGrainsOf(dimension)),
    };
  }

  /** `sent` tracking events of the account (and phone number) in the range, from the rollups. */
  private async countSent(criteria: ClickEventCriteria): Promise<number> {
    const phone = criteria.phoneNumberId;
    const pieces = planPieces(criteria.from, criteria.to, SENT_GRAINS);
    const sums = await this.rollups.read(
      pieces.flatMap((piece) =>
        piece.grain === undefined
          ? []
          : [
              {
                businessAccountId: criteria.businessAccountId,
                dimension: phone === undefined ? ('' as const) : ('phone_number_id' as const),
                value: phone === undefined ? undefined : rollupValue(phone),
                grain: piece.grain,
                from: piece.from,
                to: piece.to,
                steps: ['sent'],
              },
            ],
      ),
    );
    if (!sums) return this.raw.countSent(criteria);
    let sent = sums.flat().reduce((total, sum) => total + sum.count, 0);
    for (const piece of pieces) {
      if (piece.grain !== undefined) continue;
      sent += await this.raw.countSent({ ...criteria, from: piece.from, to: piece.to });
    }
    return sent;
  }
}

function group(tally: Tally, key: string | null): GroupTally {
  let found = tally.get(key);
  if (!found) tally.set(key, (found = { counts: new Map(), sums: new Map() }));
  return found;
}

function sumsOf(into: GroupTally, step: string): FunnelValueSums {
  let sums = into.sums.get(step);
  if (!sums) into.sums.set(step, (sums = new Map<string | null, FunnelValue>()));
  return sums;
}
