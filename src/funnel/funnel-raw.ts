import type { DataSource } from 'typeorm';
import {
  type ClickScans,
  DEFAULT_SCAN_CONCURRENCY,
  TurnTakingScans,
} from '../scans/click-scans.js';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import { QUARTER_MS } from '../rollups/rollup-grains.js';
import { LINK_CLICK } from './funnel-rollup-rows.js';
import { type FunnelValue, Where } from './funnel-sql.js';

/** SQLite: how long one part of the cohort should take to count (see `parts`). */
const PART_MS = 10;

/** The columns a funnel can be broken down by (those of the cohort's clicks). */
export type FunnelColumn = 'click_component' | 'product_id' | 'phone_number_id';

/**
 * The funnel counted from the tables themselves (`ClickFunnelService` uses it where the rollups
 * cannot answer): each step a pass over the cohort's clicks, by their click id.
 */
export class RawFunnel {
  private readonly postgres: boolean;

  /** Every statement here scans the cohort's clicks: `ClickScans` runs them. */
  constructor(
    dataSource: DataSource,
    private readonly scans: ClickScans = new TurnTakingScans(dataSource, DEFAULT_SCAN_CONCURRENCY),
  ) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /**
   * The criteria, or on SQLite the same cut into consecutive ranges of `occurredAt`, each
   * counted in about 10 ms: a funnel over a million clicks takes seconds there. On the event
   * loop (SQLite in memory or without WAL) webhooks run between parts; on the scan workers,
   * other scans take their turn between them. Counts add up over the parts: each click of the
   * cohort is in one.
   */
  async *parts(criteria: ClickEventCriteria): AsyncGenerator<ClickEventCriteria> {
    if (this.postgres) {
      yield criteria;
      return;
    }
    // Two statements: SQLite finds a lone MIN or MAX at one end of the index, but reads the
    // whole account for both at once (~100 ms at a million clicks).
    const end = async (aggregate: 'MIN' | 'MAX') => {
      const [row] = await this.scans.rows<{ at: number | null }>(
        `SELECT ${aggregate}("occurred_at") AS "at" FROM "click_events" WHERE "business_account_id" = ?`,
        [criteria.businessAccountId],
      );
      return row?.at ?? null;
    };
    const range = { lo: await end('MIN'), hi: await end('MAX') };
    if (range.lo === null || range.hi === null) return;
    const from = Math.max(criteria.from ?? range.lo, range.lo);
    const to = Math.min(criteria.to ?? range.hi + 1, range.hi + 1);
    // Small first: how dense the account is shows after the first part. A quarter hour at least:
    // the ends of a range the rollups answer are shorter, and are read at once.
    let span = Math.max(QUARTER_MS, Math.ceil((to - from) / 4096));
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

  async countStepBy(
    criteria: ClickEventCriteria,
    name: string,
    column: FunnelColumn,
  ): Promise<Map<string | null, number>> {
    const select = `k."${column}" AS "key", COUNT(*) AS n`;
    const { sql, where } = this.stepSql(criteria, name, select);
    const rows = await this.scans.rows<{ key: string | null; n: string | number }>(
      `${sql} GROUP BY k."${column}"`,
      where.values,
    );
    return new Map(rows.map((row) => [row.key, Number(row.n)]));
  }

  async valuesBy(
    criteria: ClickEventCriteria,
    name: string,
    column: FunnelColumn,
  ): Promise<Map<string | null, FunnelValue[]>> {
    const where = new Where(this.postgres, 'k');
    const step = where.param(name);
    this.cohort(where, criteria);
    const rows = await this.scans.rows<{
      key: string | null;
      currency: string | null;
      total: string | number;
      n: string | number;
    }>(
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

  async countSent(criteria: ClickEventCriteria): Promise<number> {
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
  async countStep(criteria: ClickEventCriteria, name: string): Promise<number> {
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

  async values(criteria: ClickEventCriteria, name: string): Promise<FunnelValue[]> {
    const cohort = this.cohort(new Where(this.postgres, 'k'), criteria);
    // After the cohort's: SQLite's placeholders are positional, and its step comes last.
    const step = cohort.param(name);
    // Driven by the cohort's clicks, each looking up its conversions: from the conversions'
    // side, a narrow range of a large account read every conversion of the event (0.4 s).
    const conversions = this.postgres
      ? `"click_events" k CROSS JOIN LATERAL (SELECT c."currency", c."value" FROM "click_conversions" c ` +
        `WHERE c."click_id" = k."click_id" AND c."event" = ${step} AND c."value" IS NOT NULL OFFSET 0) AS c`
      : // SQLite: a CROSS JOIN keeps the left table outside.
        `"click_events" k CROSS JOIN "click_conversions" c`;
    const joined = this.postgres
      ? ''
      : `AND c."click_id" = k."click_id" AND c."event" = ${step} AND c."value" IS NOT NULL`;
    const rows = await this.scans.rows<{
      currency: string | null;
      total: string | number;
      n: string | number;
    }>(
      `SELECT c."currency" AS "currency", SUM(c."value") AS "total", COUNT(*) AS "n" ` +
        `FROM ${conversions} WHERE ${cohort.sql} AND k."click_id" IS NOT NULL ${joined} ` +
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
    const [row] = await this.scans.rows<{ n: string | number }>(sql, where.values);
    return Number(row?.n ?? 0);
  }
}
