/**
 * Statistics benchmark (issue 12): a full clickStats (every field, DAY timeseries in
 * Asia/Kathmandu, +05:45) of an account with 5,000,000 clicks over 90 days and of one with
 * 50,000, on SQLite and PostgreSQL, read from the clicks (the baseline: the rollups of clicks
 * written with SQL are not built yet) and from the rollups once the running server has built
 * them. Also how long that build took and how long it held the event loop (webhooks wait that
 * long) at most.
 *
 *   npm run bench:stats                       # both databases
 *   npm run bench:stats -- sqlite             # one
 *   BENCH_BIG=1000000 npm run bench:stats     # a smaller big account
 */
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServer } from '../server/create-server.js';
import { dataSourceOptions, loadServerConfig } from '../server/server-config.js';
import { FunnelCounter } from '../src/funnel/funnel-counter.js';
import { RollupBackfill } from '../src/rollups/rollup-backfill.js';
import { rebuildClickRollups } from '../src/rollups/rollup-backfill.js';
import { scratchDatabase, timed } from './support/harness.js';
import { seedClicks } from './support/seed-clicks.js';

const BIG = Number(process.env.BENCH_BIG ?? 5_000_000);
const SMALL = 50_000;
const DAYS = 90;
const START = Date.UTC(2026, 5, 1);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const STATS = `query($a: ID!) { clickStats(businessAccountId: $a) { total byComponent { key count }
  byActionType { key count } byPhoneNumber { key count } byProduct(limit: 10) { key count }
  timeseries(interval: DAY, timezone: "Asia/Kathmandu") { start count } } }`;

interface Row {
  database: string;
  measure: string;
  value: string;
}

async function benchDatabase(kind: 'sqlite' | 'postgres', rows: Row[]): Promise<void> {
  const database = await scratchDatabase(kind, `clicks_stats_${process.pid}`, PG_URL);
  const add = (measure: string, value: string) => rows.push({ database: kind, measure, value });
  let app: INestApplication | undefined;
  const dataSource = new DataSource(dataSourceOptions(database.url));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    let started = performance.now();
    await seedClicks(dataSource, 'big', BIG, { start: START, days: DAYS });
    await seedClicks(dataSource, 'small', SMALL, { start: START, days: DAYS });
    // Written around the module: rollups are built by the running server, as after an upgrade.
    await rebuildClickRollups(dataSource);
    console.error(`${kind}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    app = await createServer(loadServerConfig({ DATABASE_URL: database.url }), { logger: false });
    const backfill = app.get(RollupBackfill);
    // Measured from the start of the first batch on; the server is not listening yet.
    await backfill.beforeApplicationShutdown();
    await app.listen(0, '127.0.0.1');
    const endpoint = `${await app.getUrl()}/graphql`;
    const ask = async (account: string) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: STATS, variables: { a: account } }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const stats = async (label: string, account: string, count: number, runs: number) => {
      const { p50, p95 } = await timed(runs, () => ask(account));
      add(
        `clickStats ${label}, ${count.toLocaleString('en')} clicks: p50 / p95 ms (${runs} runs)`,
        `${p50.toFixed(1)} / ${p95.toFixed(1)}`,
      );
      return ask(account);
    };

    const rawSmall = await stats('from the clicks (baseline)', 'small', SMALL, 50);
    const rawBig = await stats('from the clicks (baseline)', 'big', BIG, BIG > 1_000_000 ? 5 : 20);

    const delay = monitorEventLoopDelay({ resolution: 1 });
    let longest = 0;
    let batches = 0;
    started = performance.now();
    delay.enable();
    for (;;) {
      const batchStarted = performance.now();
      const more = await backfill.step();
      longest = Math.max(longest, performance.now() - batchStarted);
      batches++;
      if (!more) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    delay.disable();
    const seconds = (performance.now() - started) / 1000;
    add(
      'rollup build: s, clicks/s, batches',
      `${seconds.toFixed(1)} s, ${Math.round((BIG + SMALL) / seconds).toLocaleString('en')}/s, ${batches}`,
    );
    add(
      'rollup build: longest batch / longest event-loop stall, ms',
      `${longest.toFixed(0)} / ${(delay.max / 1e6).toFixed(0)}`,
    );
    const [size] = await dataSource.query<{ n: string | number }[]>(
      'SELECT COUNT(*) AS n FROM click_rollups',
    );
    add('rollup rows', Number(size!.n).toLocaleString('en'));
    if (kind === 'postgres') {
      // What autovacuum does to rows at rest: the visibility map lets reads use the index alone.
      await dataSource.query('VACUUM ANALYZE click_rollups');
    }
    while (!(await backfill.done())) await new Promise((resolve) => setTimeout(resolve, 100));
    // The rebuild queued every click for the funnel rollups too: measured at rest, not while
    // FunnelCounter counts 5 million clicks beside the reads (it took both cores before 0.11).
    started = performance.now();
    await app.get(FunnelCounter).countAll();
    add('funnel rollups counted after, s', ((performance.now() - started) / 1000).toFixed(1));

    const rolledSmall = await stats('from rollups', 'small', SMALL, 200);
    const rolledBig = await stats('from rollups', 'big', BIG, 200);
    const same =
      JSON.stringify(rawSmall) === JSON.stringify(rolledSmall) &&
      JSON.stringify(rawBig) === JSON.stringify(rolledBig);
    add('rollup answers equal the clicks answers', same ? 'yes' : 'NO');
  } finally {
    await app?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const rows: Row[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!only || only === kind) await benchDatabase(kind, rows);
  }
  console.log(
    `\nStatistics: ${BIG.toLocaleString('en')} and ${SMALL.toLocaleString('en')} clicks over ${DAYS} days, node ${process.version}\n`,
  );
  console.log('| database | measure | value |');
  console.log('| --- | --- | ---: |');
  for (const row of rows) console.log(`| ${row.database} | ${row.measure} | ${row.value} |`);
}

await main();
