import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import {
  addValues,
  compareKeys,
  type FunnelValue,
  type FunnelValueSums,
  valueList,
  Where,
} from './funnel-sql.js';

/** SQLite: how long one part of the cohort should take to count (see `parts`). */
const PART_MS = 10;

/** The action type of a click on a marketing message: the funnel's cohort. */
export const LINK_CLICK = 'marketing_messages_link_click';
export const DEFAULT_FUNNEL_STEPS = ['sent', 'click', 'landing_page_view'] as const;
export const MAX_FUNNEL_STEPS = 10;
export const FUNNEL_STEP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export type { FunnelValue } from './funnel-sql.js';

/** The columns a funnel can be broken down by (those of the cohort's clicks). */
export type FunnelColumn = 'click_component' | 'product_id' | 'phone_number_id';

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

/**
 * The click funnel of one account (`clickFunnel`): `sent` (tracking events), `click` (the link
 * clicks the criteria select: the cohort), then any other step for the clicks of that cohort
 * that reached it, by their `click_id`: a Meta action of that type (`landing_page_view`) or a
 * conversion of that event, whichever came first and in any order. Conversion values are summed
 * per currency. Read from the tables at each call.
 */
@Injectable()
export class ClickFunnelService {
  private readonly postgres: boolean;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  async funnel(
    criteria: ClickEventCriteria,
    steps: readonly string[] = DEFAULT_FUNNEL_STEPS,
  ): Promise<FunnelStep[]> {
    const counts = new Map<string, number>();
    const sums = new Map<string, FunnelValueSums>();
    for await (const part of this.parts(criteria)) {
      // A step named twice is counted once (and shown twice).
      for (const name of new Set(steps)) {
        if (name === 'sent') continue;
        counts.set(name, (counts.get(name) ?? 0) + (await this.countStep(part, name)));
        if (name === 'click') continue;
        const into = sums.get(name) ?? new Map<string | null, FunnelValue>();
        addValues(into, await this.values(part, name));
        sums.set(name, into);
      }
    }
    const result: FunnelStep[] = [];
    for (const name of steps) {
      const count = name === 'sent' ? await this.countSent(criteria) : (counts.get(name) ?? 0);
      const before = result.at(-1)?.count;
      const values = valueList(sums.get(name) ?? new Map<string | null, FunnelValue>());
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
    // `click` always: its counts are the groups.
    const named = steps.filter((name) => name !== 'sent');
    const counted = [...new Set([...named, 'click'])];
    const perStep = new Map(counted.map((name) => [name, new Map<string | null, number>()]));
    const sums = new Map(named.map((name) => [name, new Map<string | null, FunnelValueSums>()]));
    for await (const part of this.parts(criteria)) {
      for (const name of counted) {
        const into = perStep.get(name)!;
        for (const [key, n] of await this.countStepBy(part, name, column)) {
          into.set(key, (into.get(key) ?? 0) + n);
        }
        if (name === 'click' || !sums.has(name)) continue;
        const byKey = sums.get(name)!;
        for (const [key, values] of await this.valuesBy(part, name, column)) {
          const sum = byKey.get(key) ?? new Map<string | null, FunnelValue>();
          addValues(sum, values);
          byKey.set(key, sum);
        }
      }
    }
    const keys = [...perStep.get('click')!.entries()]
      .sort(([ka, a], [kb, b]) => b - a || compareKeys(ka, kb))
      .slice(0, limit)
      .map(([key]) => key);
    return keys.map((key) => {
      const groupSteps: FunnelStep[] = [];
      for (const name of named) {
        const count = perStep.get(name)!.get(key) ?? 0;
        const before = groupSteps.at(-1)?.count;
        const values = sums.get(name)!.get(key);
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

  /**
   * The criteria, or on SQLite the same cut into consecutive ranges of `occurredAt`, each
   * counted in about 10 ms, the event loop let go in between: a funnel over a million clicks
   * takes seconds there, and webhooks must not wait for it. Counts add up over the parts: each
   * click of the cohort is in one.
   */
  private async *parts(criteria: ClickEventCriteria): AsyncGenerator<ClickEventCriteria> {
    if (this.postgres) {
      yield criteria;
      return;
    }
    const [range] = await this.dataSource.query<{ lo: number | null; hi: number | null }[]>(
      `SELECT MIN("occurred_at") AS lo, MAX("occurred_at") AS hi FROM "click_events" WHERE "business_account_id" = ?`,
      [criteria.businessAccountId],
    );
    if (range?.lo == null || range.hi == null) return;
    const from = Math.max(criteria.from ?? range.lo, range.lo);
    const to = Math.min(criteria.to ?? range.hi + 1, range.hi + 1);
    // Small first: how dense the account is shows after the first part.
    let span = Math.max(1, Math.ceil((to - from) / 4096));
    for (let start = from; start < to;) {
      const end = Math.min(start + span, to);
      const began = performance.now();
      yield { ...criteria, from: start, to: end };
      const took = performance.now() - began;
      if (took < PART_MS / 2) span *= 2;
      else if (took > PART_MS * 2) span = Math.max(1, Math.floor(span / 2));
      start = end;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async countStepBy(
    criteria: ClickEventCriteria,
    name: string,
    column: FunnelColumn,
  ): Promise<Map<string | null, number>> {
    const select = `k."${column}" AS "key", COUNT(*) AS n`;
    const { sql, where } = this.stepSql(criteria, name, select);
    const rows = await this.dataSource.query<{ key: string | null; n: string | number }[]>(
      `${sql} GROUP BY k."${column}"`,
      where.values,
    );
    return new Map(rows.map((row) => [row.key, Number(row.n)]));
  }

  private async valuesBy(
    criteria: ClickEventCriteria,
    name: string,
    column: FunnelColumn,
  ): Promise<Map<string | null, FunnelValue[]>> {
    const where = new Where(this.postgres, 'k');
    const step = where.param(name);
    this.cohort(where, criteria);
    const rows = await this.dataSource.query<
      { key: string | null; currency: string | null; total: string | number; n: string | number }[]
    >(
      `SELECT k."${column}" AS "key", c."currency" AS "currency", SUM(c."value") AS "total", COUNT(*) AS "n" ` +
        `FROM "click_conversions" c JOIN "click_events" k ON k."dedupe_key" = c."click_id" ` +
        `AND k."click_id" = c."click_id" AND c."event" = ${step} AND c."value" IS NOT NULL ` +
        `WHERE ${where.sql} GROUP BY k."${column}", c."currency" ORDER BY c."currency"`,
      where.values,
    );
    const byKey = new Map<string | null, FunnelValue[]>();
    for (const row of rows) {
      const list = byKey.get(row.key) ?? [];
      list.push({ currency: row.currency, sum: Number(row.total), count: Number(row.n) });
      byKey.set(row.key, list);
    }
    return byKey;
  }

  private async countSent(criteria: ClickEventCriteria): Promise<number> {
    const where = new Where(this.postgres, 't');
    where.add('"business_account_id" = ?', criteria.businessAccountId);
    where.add('"event" = ?', 'sent');
    if (criteria.from !== undefined) where.add('"occurred_at" >= ?', criteria.from);
    if (criteria.to !== undefined) where.add('"occurred_at" < ?', criteria.to);
    if (criteria.phoneNumberId !== undefined) {
      where.add('"phone_number_id" = ?', criteria.phoneNumberId);
    }
    return this.number(`SELECT COUNT(*) AS n FROM "tracking_events" t WHERE ${where.sql}`, where);
  }

  /** The cohort's clicks that reached step `name` (not `sent`). */
  private async countStep(criteria: ClickEventCriteria, name: string): Promise<number> {
    const { sql, where } = this.stepSql(criteria, name);
    return this.number(sql, where);
  }

  /**
   * `select` (a count by default) over the cohort's clicks (alias `k`) that reached step `name`
   * (not `sent`), as SQL.
   */
  private stepSql(
    criteria: ClickEventCriteria,
    name: string,
    select = 'COUNT(*) AS n',
  ): { sql: string; where: Where } {
    const cohort = this.cohort(new Where(this.postgres, 'k'), criteria);
    if (name === 'click') {
      return { sql: `SELECT ${select} FROM "click_events" k WHERE ${cohort.sql}`, where: cohort };
    }
    // Placeholders in the order they appear (SQLite's are positional).
    const asAction = cohort.param(name);
    const asConversion = cohort.param(name);
    return {
      sql:
        `SELECT ${select} FROM "click_events" k WHERE ${cohort.sql} AND k."click_id" IS NOT NULL AND (` +
        `EXISTS (SELECT 1 FROM "click_events" v WHERE v."business_account_id" = k."business_account_id" ` +
        `AND v."dedupe_key" = k."click_id" AND v."action_type" = ${asAction}) OR ` +
        `EXISTS (SELECT 1 FROM "click_conversions" c WHERE c."click_id" = k."click_id" AND c."event" = ${asConversion}))`,
      where: cohort,
    };
  }

  private async values(criteria: ClickEventCriteria, name: string): Promise<FunnelValue[]> {
    const cohort = new Where(this.postgres, 'k');
    const step = cohort.param(name);
    this.cohort(cohort, criteria);
    const rows = await this.dataSource.query<
      { currency: string | null; total: string | number; n: string | number }[]
    >(
      `SELECT c."currency" AS "currency", SUM(c."value") AS "total", COUNT(*) AS "n" ` +
        `FROM "click_conversions" c WHERE c."event" = ${step} AND c."value" IS NOT NULL AND c."click_id" IN ` +
        `(SELECT k."click_id" FROM "click_events" k WHERE ${cohort.sql} AND k."click_id" IS NOT NULL) ` +
        `GROUP BY c."currency" ORDER BY c."currency"`,
      cohort.values,
    );
    return rows.map((row) => ({
      currency: row.currency,
      sum: Number(row.total),
      count: Number(row.n),
    }));
  }

  /** Adds to `where` (alias `k`) what selects the criteria's link clicks. */
  private cohort(where: Where, criteria: ClickEventCriteria): Where {
    where.add('"business_account_id" = ?', criteria.businessAccountId);
    where.add('"action_type" = ?', LINK_CLICK);
    if (criteria.from !== undefined) where.add('"occurred_at" >= ?', criteria.from);
    if (criteria.to !== undefined) where.add('"occurred_at" < ?', criteria.to);
    if (criteria.clickComponent !== undefined) {
      where.add('"click_component" = ?', criteria.clickComponent);
    }
    if (criteria.productId !== undefined) where.add('"product_id" = ?', criteria.productId);
    if (criteria.phoneNumberId !== undefined) {
      where.add('"phone_number_id" = ?', criteria.phoneNumberId);
    }
    if (criteria.clickId !== undefined) where.add('"dedupe_key" = ?', criteria.clickId);
    return where;
  }

  private async number(sql: string, where: Where): Promise<number> {
    const [row] = await this.dataSource.query<{ n: string | number }[]>(sql, where.values);
    return Number(row?.n ?? 0);
  }
}
