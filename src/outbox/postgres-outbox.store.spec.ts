// On real PostgreSQL: the outbox store vacuums its table while entries are handed on, so claims
// do not read the dead row versions of every entry since autovacuum last came by; a vacuum that
// cannot run (the pool closing under it) is no failure of the hand-off.
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  postgresDatabase,
  postgresProblem,
  type TestDatabase,
} from '../../test/support/databases.js';
import { migratedDataSource } from '../../test/support/migrated-data-source.js';
import { OUTBOX_TABLE } from './outbox-target.js';
import { PostgresOutboxStore } from './postgres-outbox.store.js';

const problem = await postgresProblem();
if (problem && process.env.CI === 'true') throw new Error(`${problem}. CI must run it.`);
if (problem) console.warn(`\n!!! SKIPPING the PostgreSQL outbox store: ${problem}\n`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(problem)('PostgresOutboxStore', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await postgresDatabase();
  });

  afterAll(async () => {
    await db?.dispose();
  });

  /** What 1,200 single-click commits leave: one entry each. */
  async function writeEntries(dataSource: DataSource, count: number): Promise<void> {
    await dataSource.query(
      `INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") ` +
        `SELECT 'forward', g::text, 1 FROM generate_series(1, $1) AS g`,
      [count],
    );
  }

  async function handOnAll(store: PostgresOutboxStore): Promise<number> {
    let done = 0;
    for (;;) {
      const entries = await store.claim('forward', 'me', 30_000, 100);
      if (entries.length === 0) return done;
      await store.complete(
        entries.map((entry) => entry.id),
        'me',
      );
      done += entries.length;
    }
  }

  const vacuums = async () => {
    const [row] = await db.rows<{ n: string }>(
      `SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relname = '${OUTBOX_TABLE}'`,
    );
    return Number(row?.n ?? 0);
  };

  it('vacuums the table once a thousand entries were handed on, at most once a second', async () => {
    const dataSource = await migratedDataSource(db);
    try {
      const store = new PostgresOutboxStore(dataSource);
      const before = await vacuums();
      await writeEntries(dataSource, 1200);
      expect(await handOnAll(store)).toBe(1200);
      let after = before;
      for (let i = 0; i < 50 && after === before; i++) {
        await sleep(100);
        after = await vacuums();
      }
      expect(after).toBe(before + 1);
      // Another thousand within the second: no second vacuum yet.
      await writeEntries(dataSource, 1200);
      expect(await handOnAll(store)).toBe(1200);
      await sleep(300);
      expect(await vacuums()).toBe(after);
      expect(await db.count(OUTBOX_TABLE)).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('hands on all the same when the vacuum cannot run: the pool closes under it', async () => {
    const dataSource = await migratedDataSource(db);
    const store = new PostgresOutboxStore(dataSource);
    await writeEntries(dataSource, 1000);
    const entries = await store.claim('forward', 'me', 30_000, 1000);
    await store.complete(
      entries.map((entry) => entry.id),
      'me',
    );
    // The vacuum was started in the background; the pool closes before it is through.
    await dataSource.destroy();
    await sleep(200);
    expect(await db.count(OUTBOX_TABLE)).toBe(0);
  });
});
