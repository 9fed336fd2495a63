import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgProxy } from './pg-proxy.js';

/** The PostgreSQL every developer machine and CI runs (trust auth). */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, empty database for one suite, and the means to inspect it and take it away. */
export interface TestDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** DATABASE_URL for the app under test. */
  readonly url: string;
  /** Rows of a read-only query (no parameters). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  count(table: string): Promise<number>;
  /** Makes the database refuse the app's writes until `restore()`. */
  makeUnavailable(): Promise<void>;
  restore(): Promise<void>;
  /** PostgreSQL only: the connections stay open and nothing is answered, until `resume()`. */
  stall?(): void;
  resume?(): void;
  dispose(): Promise<void>;
}

export interface DatabaseTarget {
  kind: 'sqlite' | 'postgres';
  /** Why the target cannot run here, or null. Outside CI a missing service is skipped, loudly. */
  unavailable: string | null;
  create(): Promise<TestDatabase>;
}

let sequence = 0;

export async function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'clicks-e2e-'));
  const file = join(dir, 'clicks.sqlite');
  let inspector: Database.Database | null = null;
  let locker: Database.Database | null = null;
  const inspect = () => (inspector ??= new Database(file, { fileMustExist: true }));
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    async rows<T>(sql: string) {
      return inspect().prepare(sql).all() as T[];
    },
    async count(table) {
      return Number(
        (inspect().prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n,
      );
    },
    // Another process holding SQLite's write lock: the app's writes fail with SQLITE_BUSY
    // once its busy timeout has passed.
    async makeUnavailable() {
      locker = new Database(file);
      locker.exec('BEGIN EXCLUSIVE');
    },
    async restore() {
      locker?.exec('ROLLBACK');
      locker?.close();
      locker = null;
    },
    async dispose() {
      locker?.close();
      inspector?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresDatabase(): Promise<TestDatabase> {
  const name = `clicks_e2e_${process.pid}_${Date.now()}_${sequence++}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const direct = new URL(PG_ADMIN_URL);
  direct.pathname = `/${name}`;
  const inspector = new pg.Client({ connectionString: direct.toString() });
  await inspector.connect();
  // The app reaches the database through a relay the test can cut.
  const proxy = new PgProxy(Number(direct.port || 5432), direct.hostname);
  await proxy.start();
  const viaProxy = new URL(direct.toString());
  viaProxy.port = String(proxy.port);

  return {
    kind: 'postgres',
    url: viaProxy.toString(),
    async rows<T>(sql: string) {
      return (await inspector.query(sql)).rows as T[];
    },
    async count(table) {
      return Number((await inspector.query(`SELECT COUNT(*) AS n FROM "${table}"`)).rows[0].n);
    },
    makeUnavailable: () => proxy.cut(),
    restore: () => proxy.restore(),
    stall: () => proxy.stall(),
    resume: () => proxy.resume(),
    async dispose() {
      await proxy.cut();
      await inspector.end();
      const cleanup = new pg.Client({ connectionString: PG_ADMIN_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

export async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${PG_ADMIN_URL} is not reachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The Redis every developer machine and CI runs. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Why Redis cannot be used here, or null. In CI (CI=true) a missing Redis fails the run;
 * elsewhere its suites are skipped with a warning.
 */
export async function redisProblem(): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let problem: string | null = null;
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    problem = `Redis at ${REDIS_URL} is not reachable: ${(error as Error).message}`;
  } finally {
    client.disconnect();
  }
  if (problem && process.env.CI === 'true')
    throw new Error(`${problem}. CI must run the Redis suites.`);
  if (problem) console.warn(`\n!!! SKIPPING the Redis suites: ${problem}\n`);
  return problem;
}

/**
 * SQLite and PostgreSQL, to run one suite on both. In CI (CI=true) a missing PostgreSQL fails
 * the run; elsewhere its suites are skipped with a warning.
 */
export async function databaseTargets(): Promise<DatabaseTarget[]> {
  const pgProblem = await postgresProblem();
  if (pgProblem && process.env.CI === 'true') {
    throw new Error(`${pgProblem}. CI must run the PostgreSQL suites.`);
  }
  if (pgProblem) {
    console.warn(`\n!!! SKIPPING the PostgreSQL suites: ${pgProblem}\n`);
  }
  return [
    { kind: 'sqlite', unavailable: null, create: sqliteDatabase },
    { kind: 'postgres', unavailable: pgProblem, create: postgresDatabase },
  ];
}
