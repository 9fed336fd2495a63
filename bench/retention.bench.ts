/**
 * Retention beside webhooks (issue 11): single-action webhooks against the standalone server,
 * alone (the baseline, same run, same database), then while retention deletes 1,000,000 old
 * clicks (with their rollup counts), then alone again once it is done. Also how long the
 * deletion took.
 *
 *   npm run bench:retention                         # SQLite
 *   BENCH_DB=postgres npm run bench:retention
 *   BENCH_OLD=200000 BENCH_SECONDS=5 npm run bench:retention
 *   BENCH_CHECKOUT=/tmp/prev npm run bench:retention   # the server of another built checkout
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../server/server-config.js';
import { rebuildClickRollups } from '../src/rollups/rollup-backfill.js';
import { scratchDatabase, startServerProcess } from './support/harness.js';
import { load, SECRET } from './support/ingest-load.js';
import { seedClicks } from './support/seed-clicks.js';

const DATABASE = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';
const OLD = Number(process.env.BENCH_OLD ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;
const WEBHOOK = { name: '1 action', actions: 1, connections: 8 };
const SCRIPT = process.env.BENCH_CHECKOUT
  ? `${process.env.BENCH_CHECKOUT}/dist/server/main.js`
  : undefined;

const count = async (dataSource: DataSource, sql: string) =>
  Number((await dataSource.query<{ n: string | number }[]>(sql))[0]!.n);

async function waitFor(what: string, check: () => Promise<boolean>, limitMs: number) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const database = await scratchDatabase(DATABASE, `clicks_retention_${process.pid}`, PG_URL);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  const env = { DATABASE_URL: database.url, WHATSAPP_APP_SECRET: SECRET };
  const rows: string[][] = [];
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    let started = performance.now();
    // 1M clicks 100 to 200 days old, stored as they came (ids follow time), the rollups counted
    // as a running server counts them.
    await seedClicks(dataSource, 'old', OLD, {
      start: Date.now() - 200 * DAY,
      days: 100,
      inOrder: true,
    });
    await rebuildClickRollups(dataSource);
    const built = () =>
      count(dataSource, `SELECT COUNT(*) AS n FROM click_rollup_backfill WHERE next_id <= last_id`);
    const oldLeft = () =>
      count(dataSource, `SELECT COUNT(*) AS n FROM click_events WHERE business_account_id = 'old'`);

    const measure = async (label: string, deletedBefore: number) => {
      const result = await load(server.url, WEBHOOK, { duration: SECONDS });
      const deleted = deletedBefore - (await oldLeft());
      rows.push([
        label,
        result.requests.average.toFixed(0),
        String(result.latency.p50),
        String(result.latency.p99),
        String(result.latency.max),
        String(result.non2xx),
        deleted.toLocaleString('en'),
      ]);
    };

    let server = await startServerProcess(env, SCRIPT);
    await waitFor('the rollup build', async () => (await built()) === 0, 600_000);
    console.error(
      `${DATABASE}: seeded ${OLD.toLocaleString('en')} old clicks and built their rollups in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await load(server.url, WEBHOOK, { duration: 2 }); // warm-up
    await measure('alone (before)', OLD);
    await server.stop();

    // Retention runs at start, then hourly: the load begins as it begins.
    server = await startServerProcess({ ...env, CLICKS_RETENTION_DAYS: '90' }, SCRIPT);
    started = performance.now();
    await measure('while retention deletes', OLD);
    await waitFor('the deletion', async () => (await oldLeft()) === 0, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    await measure('alone (after)', 0);
    await server.stop();

    const [rollups] = await dataSource.query<{ n: string | number }[]>(
      `SELECT COALESCE(SUM("count"), 0) AS n FROM click_rollups WHERE business_account_id = 'old'`,
    );
    console.log(
      `\nSingle-action webhooks (${WEBHOOK.connections} connections, ${SECONDS} s each) beside retention deleting ${OLD.toLocaleString('en')} clicks older than 90 days, ${DATABASE}, ${SCRIPT ?? 'this checkout'}, node ${process.version}\n`,
    );
    console.log(
      '| webhooks | req/s | p50 ms | p99 ms | max ms | non-2xx | old clicks deleted meanwhile |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(
      `\nDeletion of ${OLD.toLocaleString('en')} clicks: ${seconds.toFixed(1)} s (${Math.round(OLD / seconds).toLocaleString('en')} clicks/s, load included); rollup counts of the deleted account left: ${Number(rollups!.n)}`,
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

await main();
