// On real PostgreSQL: the deltas that ingest and retention append are folded into the rollups
// without changing any answer, once, by one instance at a time; the migration's revert keeps
// what was not folded.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  postgresDatabase,
  postgresProblem,
  type TestDatabase,
} from '../../test/support/databases.js';
import { CLICK_COLUMNS, type Row } from '../storage/click-rows.js';
import { ClickEvent } from '../storage/click-event.entity.js';
import { whatsAppClicksMigrations } from '../storage/migrations/index.js';
import { RejectedDelivery } from '../storage/rejected-delivery.entity.js';
import { DELTA_COLUMNS, deltaRows, ROLLUP_COUNTS_VIEW } from './rollup-deltas.js';
import { foldRollupDeltas, RollupFolding } from './rollup-folding.js';
import { DAY_MS, ROLLUP_TABLE } from './rollup-grains.js';

const problem = await postgresProblem();
if (problem && process.env.CI === 'true') throw new Error(`${problem}. CI must run it.`);
if (problem) console.warn(`\n!!! SKIPPING the PostgreSQL rollup folding: ${problem}\n`);

/** A click row with the values the rollups count. */
function click(account: string, at: number, component: string | null, product: string | null): Row {
  const values: Partial<Record<(typeof CLICK_COLUMNS)[number], string | number | null>> = {
    business_account_id: account,
    phone_number_id: 'p1',
    action_type: 'marketing_messages_link_click',
    click_component: component,
    product_id: product,
    occurred_at: at,
  };
  return CLICK_COLUMNS.map((column) => values[column] ?? null);
}

const T = 1_764_547_200_000; // a day's start
const clicks = [
  click('A', T + 60_000, 'cta', 'sku'),
  click('A', T + 120_000, 'cta', 'sku'),
  click('A', T + 1_000_000, 'body', null),
  click('A', T + DAY_MS + 5, null, 'sku'),
  click('B', T + 7, 'cta', 'other'),
];

describe.skipIf(problem)('rollup deltas on PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let other: DataSource;

  beforeAll(async () => {
    db = await postgresDatabase();
    const options = {
      type: 'postgres' as const,
      url: db.url,
      entities: [ClickEvent, RejectedDelivery],
      migrations: whatsAppClicksMigrations,
    };
    dataSource = await new DataSource(options).initialize();
    await dataSource.runMigrations();
    other = await new DataSource(options).initialize(); // a second instance
  });
  afterAll(async () => {
    await other?.destroy();
    await dataSource?.destroy();
    await db?.dispose();
  });
  beforeEach(async () => {
    await dataSource.query(`DELETE FROM "click_rollup_deltas"`);
    await dataSource.query(`DELETE FROM "${ROLLUP_TABLE}"`);
  });

  const append = async (rows: Row[], sign: 1 | -1) => {
    for (const delta of deltaRows(rows, sign)) {
      await dataSource.query(
        `INSERT INTO "click_rollup_deltas" (${DELTA_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
          `VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        delta,
      );
    }
  };
  interface Counted {
    business_account_id: string;
    dimension: string;
    grain: string;
    bucket: string;
    value: string;
    n: number;
  }
  /** Every rollup row as the statistics read it, and as stored. */
  const read = async (table: string): Promise<Counted[]> =>
    (
      await dataSource.query<(Omit<Counted, 'n'> & { n: string })[]>(
        `SELECT "business_account_id", "dimension", "grain", "bucket", "value", SUM("count") AS "n" ` +
          `FROM "${table}" GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
      )
    ).map((row) => ({ ...row, n: Number(row.n) }));

  it('reads deltas as rollup rows, and answers the same once they are folded, in steps', async () => {
    await append(clicks, 1);
    await append(clicks.slice(0, 2), 1); // a second group of the same combination
    const before = await read(ROLLUP_COUNTS_VIEW);
    // The total of A per day: 3 + 2 on the first day, 1 on the next.
    expect(
      before.filter(
        (r) => r.business_account_id === 'A' && r.dimension === '' && r.grain === '86400000',
      ),
    ).toEqual([
      expect.objectContaining({ bucket: String(T), value: '', n: 5 }),
      expect.objectContaining({ bucket: String(T + DAY_MS), value: '', n: 1 }),
    ]);
    expect(await read(ROLLUP_TABLE)).toEqual([]);

    let steps = 0;
    while ((await foldRollupDeltas(dataSource, 2)) === 2) steps++;
    expect(steps).toBeGreaterThanOrEqual(2);
    expect(await db.count('click_rollup_deltas')).toBe(0);
    expect(await read(ROLLUP_TABLE)).toEqual(before);
    expect(await read(ROLLUP_COUNTS_VIEW)).toEqual(before);
  });

  it('tells how many deltas wait (the whatsapp_clicks_rollup_deltas gauge), folded or not', async () => {
    const folding = new RollupFolding(dataSource); // not started: no timer
    expect(folding.folds).toBe(true);
    await append(clicks, 1);
    const appended = await db.count('click_rollup_deltas');
    expect(appended).toBeGreaterThan(0);
    expect(await folding.pending()).toBe(appended);
    expect(await folding.foldAll()).toBe(appended);
    expect(await folding.pending()).toBe(0);
  });

  it('takes out what retention subtracted, deleting the rows that count nothing', async () => {
    await append(clicks, 1);
    expect(await foldRollupDeltas(dataSource)).toBeGreaterThan(0);
    await append(
      clicks.filter((row) => row[0] === 'B'),
      -1,
    ); // all of B deleted
    await append([clicks[2]!], -1);
    const expected = (await read(ROLLUP_COUNTS_VIEW)).filter((row) => row.n !== 0);
    await foldRollupDeltas(dataSource);
    const stored = await read(ROLLUP_TABLE);
    expect(stored).toEqual(expected);
    expect(stored.some((row) => row.business_account_id === 'B')).toBe(false);
    expect(stored.every((row) => row.n > 0)).toBe(true);
  });

  it('folds in one instance at a time: another one skips, nothing is counted twice', async () => {
    await append(clicks, 1);
    const expected = await read(ROLLUP_COUNTS_VIEW);
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      // This instance holds the fold's lock: the other one folds nothing meanwhile.
      await runner.query('SELECT pg_advisory_xact_lock(7270231912)');
      expect(await foldRollupDeltas(other)).toBeNull();
    } finally {
      await runner.commitTransaction();
      await runner.release();
    }
    const folds = await Promise.all([foldRollupDeltas(dataSource), foldRollupDeltas(other)]);
    expect(folds.filter((n) => n !== null && n > 0)).toHaveLength(1);
    expect(await read(ROLLUP_TABLE)).toEqual(expected);
  });

  it('reverting the migration folds what was left into the rollups, as the older version counts', async () => {
    await append(clicks, 1);
    await foldRollupDeltas(dataSource);
    await append(clicks.slice(0, 3), 1);
    await append([clicks[3]!], -1);
    const expected = (await read(ROLLUP_COUNTS_VIEW)).filter((row) => row.n !== 0);
    const exists = async (name: string) =>
      (await dataSource.query<{ t: string | null }[]>(`SELECT to_regclass($1) AS "t"`, [name]))[0]!
        .t !== null;
    // The migrations after it go first, each with only its own change: the funnel queue's
    // index of click ids comes back, then the time-of-day index goes.
    await dataSource.undoLastMigration();
    expect([
      await exists('ix_click_funnel_queue_click'),
      await exists('ix_click_rollups_time_of_day'),
    ]).toEqual([true, true]);
    await dataSource.undoLastMigration();
    expect([
      await exists('ix_click_rollups_time_of_day'),
      await exists('click_rollup_deltas'),
    ]).toEqual([false, true]);
    await dataSource.undoLastMigration();
    try {
      expect(await read(ROLLUP_TABLE)).toEqual(expected);
      expect(await dataSource.query(`SELECT to_regclass('click_rollup_deltas') AS "t"`)).toEqual([
        { t: null },
      ]);
    } finally {
      await dataSource.runMigrations();
    }
  });
});
