import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PG_ADMIN_URL, postgresProblem } from '../../test/support/databases.js';
import { type ClickScans, scansFor, TurnTakingScans } from './click-scans.js';
import { ScanTimeoutError, SqliteScanWorkers } from './sqlite-scan-workers.js';

/** About a second or two of SQLite work, whatever the data. */
const SLOW = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 8000000)
  SELECT COUNT(*) AS c FROM n`;

const warnings: string[] = [];
const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;

describe('ClickScans', () => {
  let folder: string;
  const open: DataSource[] = [];
  const scans: ClickScans[] = [];

  async function sqlite(options: { file?: boolean; wal?: boolean } = {}): Promise<DataSource> {
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: options.file === false ? ':memory:' : join(folder, `db-${open.length}.sqlite`),
      enableWAL: options.wal ?? true,
    });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    await dataSource.query("INSERT INTO t (v) VALUES ('a'), ('b'), (NULL)");
    open.push(dataSource);
    return dataSource;
  }

  async function scansOf(dataSource: DataSource, concurrency = 1, timeoutMs = 30_000) {
    const made = await scansFor(dataSource, { concurrency, timeoutMs }, logger);
    scans.push(made);
    return made;
  }

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'click-scans-'));
    warnings.length = 0;
  });

  afterEach(async () => {
    await Promise.all(scans.splice(0).map((s) => s.onApplicationShutdown()));
    await Promise.all(open.splice(0).map((d) => d.destroy()));
    rmSync(folder, { recursive: true, force: true });
  });

  it('reads a SQLite file in WAL mode on worker threads, rows as the main connection gives them', async () => {
    const dataSource = await sqlite();
    const workers = await scansOf(dataSource);
    expect(workers).toBeInstanceOf(SqliteScanWorkers);
    const sql = 'SELECT id, v FROM t WHERE id >= ? ORDER BY id';
    expect(await workers.rows(sql, [2])).toEqual(await dataSource.query(sql, [2]));
  });

  it('leaves the event loop free during a long scan, and writes go on beside it', async () => {
    const dataSource = await sqlite();
    const workers = await scansOf(dataSource);
    let scanned = false;
    const scan = workers.rows<{ c: number }>(SLOW, []).then((rows) => {
      scanned = true;
      return rows;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await dataSource.query("INSERT INTO t (v) VALUES ('during')");
    // On the loop, neither the timer nor the insert could have run before the scan ended.
    expect(scanned).toBe(false);
    expect(await scan).toEqual([{ c: 8_000_000 }]);
    expect(await workers.rows('SELECT COUNT(*) AS n FROM t', [])).toEqual([{ n: 4 }]);
  });

  it('runs `concurrency` scans at once, the others in turn', async () => {
    const workers = await scansOf(await sqlite(), 1);
    const first = workers.rows(SLOW, []);
    const second = workers.rows('SELECT 1 AS one', []);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(workers.queued).toBe(1);
    await Promise.all([first, second]);
    expect(workers.queued).toBe(0);
  });

  it('answers a scan past its deadline with an error at once; its slot waits for the statement to end', async () => {
    const workers = await scansOf(await sqlite(), 1, 150);
    let failedAt = 0;
    const slow = workers.rows(SLOW, []).catch((error: unknown) => {
      failedAt = performance.now();
      return error;
    });
    const next = workers.rows('SELECT COUNT(*) AS n FROM t', []).then((rows) => {
      expect(failedAt).toBeGreaterThan(0);
      return { rows, at: performance.now() };
    });
    expect(await slow).toBeInstanceOf(ScanTimeoutError);
    // The next scan ran on a new worker, once the stopped one's statement had returned (SLOW
    // takes about a second; the deadline was 150 ms).
    const { rows, at } = await next;
    expect(rows).toEqual([{ n: 3 }]);
    expect(at - failedAt).toBeGreaterThan(100);
  });

  it('at shutdown fails the running scan and those waiting, and starts no worker again', async () => {
    const workers = (await scansOf(await sqlite(), 1)) as SqliteScanWorkers;
    const running = workers.rows(SLOW, []);
    const waiting = workers.rows('SELECT 1 AS one', []);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await workers.onApplicationShutdown();
    await expect(running).rejects.toThrow('a scan worker exited');
    await expect(waiting).rejects.toThrow('the scan workers are closed');
    await expect(workers.rows('SELECT 1 AS one', [])).rejects.toThrow('closed');
  });

  it('answers a bad statement with its SQLite error, and keeps the worker', async () => {
    const workers = await scansOf(await sqlite());
    await expect(workers.rows('SELECT nope FROM t', [])).rejects.toMatchObject({
      message: expect.stringContaining('no such column: nope'),
      code: 'SQLITE_ERROR',
    });
    expect(await workers.rows('SELECT COUNT(*) AS n FROM t', [])).toEqual([{ n: 3 }]);
  });

  it('fails to start with a driver it cannot load', async () => {
    const dataSource = await sqlite();
    const workers = new SqliteScanWorkers(
      dataSource.options.database as string,
      join(folder, 'no-such-driver.js'),
      1,
      1000,
    );
    await expect(workers.start()).rejects.toThrow(/Cannot find module/);
    await workers.onApplicationShutdown();
    await expect(workers.rows('SELECT 1', [])).rejects.toThrow('closed');
  });

  it('stays on the main connection in memory, and without WAL (saying why)', async () => {
    const memory = await scansOf(await sqlite({ file: false }));
    expect(memory).toBeInstanceOf(TurnTakingScans);
    expect(warnings).toEqual([]);
    const journal = await sqlite({ wal: false });
    const onLoop = await scansOf(journal);
    expect(onLoop).toBeInstanceOf(TurnTakingScans);
    expect(warnings).toEqual([expect.stringContaining('not in WAL mode')]);
    expect(await onLoop.rows('SELECT v FROM t WHERE id = ?', [1])).toEqual([{ v: 'a' }]);
  });
});

const pgProblem = await postgresProblem();
if (pgProblem && process.env.CI === 'true') throw new Error(`${pgProblem}. CI must run it.`);
if (pgProblem) console.warn(`\n!!! SKIPPING the PostgreSQL scans: ${pgProblem}\n`);

describe.skipIf(pgProblem)('ClickScans on PostgreSQL', () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    dataSource = new DataSource({ type: 'postgres', url: PG_ADMIN_URL });
    await dataSource.initialize();
  });

  afterEach(() => dataSource.destroy());

  it('takes turns on the data source: `concurrency` scans at once, the others wait', async () => {
    const scans = await scansFor(dataSource, { concurrency: 1, timeoutMs: 30_000 }, logger);
    expect(scans).toBeInstanceOf(TurnTakingScans);
    const sleep = 'SELECT pg_sleep(0.3), $1::int AS n';
    const first = scans.rows<{ n: number }>(sleep, [1]);
    const second = scans.rows<{ n: number }>(sleep, [2]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(scans.queued).toBe(1);
    const running = await dataSource.query<{ n: string }[]>(
      "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(0.3)%' AND state = 'active'",
    );
    expect(Number(running[0]!.n)).toBe(1);
    expect([(await first)[0]!.n, (await second)[0]!.n]).toEqual([1, 2]);
  });
});
