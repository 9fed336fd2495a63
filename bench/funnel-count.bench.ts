/**
 * Funnel counting benchmark: how fast `FunnelCounter` counts a backlog of every click queued
 * again (as after an upgrade, `rebuildClickRollups` or a bulk import), against an earlier
 * checkout's `FunnelCounter` on the same database, in the same run, rounds alternating. Also the
 * longest event-loop stall while it counts (a webhook waits that long) and whether both builds
 * counted the same rollups.
 *
 *   git worktree add /tmp/prev <ref> && ln -s "$PWD/node_modules" /tmp/prev/node_modules
 *   (cd /tmp/prev && npx tsc -p tsconfig.build.json)
 *   BENCH_COMPARE=/tmp/prev npm run bench:funnel-count               # both databases
 *   BENCH_COMPARE=/tmp/prev npm run bench:funnel-count -- postgres
 *   BENCH_CLICKS=200000 BENCH_ROUNDS=1 ...                           # smaller, shorter
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../server/server-config.js';
import { requeueFunnel } from '../src/funnel/funnel-state.js';
import { scratchDatabase } from './support/harness.js';
import { seedClicks } from './support/seed-clicks.js';

const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const COMPARE = process.env.BENCH_COMPARE;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START = Date.UTC(2026, 5, 1);

/** What a build offers this bench, loaded from its `dist/`. */
interface Build {
  name: string;
  createServer: (config: unknown, options: { logger: false }) => Promise<any>;
  loadServerConfig: (env: Record<string, string>) => unknown;
  FunnelCounter: new (...args: never[]) => { step(): Promise<number> };
}

async function loadBuild(name: string, dist: string): Promise<Build> {
  const load = (path: string) => import(join(dist, path));
  const [{ createServer }, { loadServerConfig }, { FunnelCounter }] = await Promise.all([
    load('server/create-server.js'),
    load('server/server-config.js'),
    load('src/funnel/funnel-counter.js'),
  ]);
  return { name, createServer, loadServerConfig, FunnelCounter };
}

interface Count {
  seconds: number;
  stallMs: number;
  /** A digest of every funnel rollup row: equal when both builds counted the same. */
  digest: string;
}

/** Queues everything again, then lets one build's counter count it all, batch after batch. */
async function count(build: Build, dataSource: DataSource, url: string): Promise<Count> {
  await dataSource.transaction((manager) => requeueFunnel(manager));
  // Not initialized: no periodic task of the module runs beside the counting measured here.
  const app = await build.createServer(build.loadServerConfig({ DATABASE_URL: url }), {
    logger: false,
  });
  try {
    const counter = app.get(build.FunnelCounter);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    // Between batches the event loop turns, as it does under the module's own schedule.
    while ((await counter.step()) > 0) await new Promise((resolve) => setImmediate(resolve));
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const rows = await dataSource.query(
      `SELECT * FROM "click_funnel_rollups" ORDER BY "business_account_id", "dimension", "grain", "bucket", "value", "step", "currency"`,
    );
    const digest = createHash('sha256')
      .update(
        JSON.stringify(rows.map((row: Record<string, unknown>) => Object.values(row).map(String))),
      )
      .digest('hex')
      .slice(0, 12);
    return { seconds, stallMs: delay.max / 1e6, digest };
  } finally {
    await app.close();
  }
}

async function benchDatabase(kind: 'sqlite' | 'postgres', builds: Build[], rows: string[][]) {
  const database = await scratchDatabase(kind, `clicks_funnel_count_${process.pid}`, PG_URL);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    await seedClicks(dataSource, 'big', CLICKS, { start: START, days: 90 });
    const digests = new Set<string>();
    const seconds = new Map<string, number[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which goes first: a machine that speeds up or slows down favours neither.
      const order = round % 2 === 1 ? builds : [...builds].reverse();
      for (const build of order) {
        const counted = await count(build, dataSource, database.url);
        digests.add(counted.digest);
        seconds.set(build.name, [...(seconds.get(build.name) ?? []), counted.seconds]);
        rows.push([
          kind,
          build.name,
          String(round),
          counted.seconds.toFixed(1),
          Math.round(CLICKS / counted.seconds).toLocaleString('en'),
          counted.stallMs.toFixed(0),
          counted.digest,
        ]);
        console.error(`${kind} ${build.name} round ${round}: ${counted.seconds.toFixed(1)} s`);
      }
    }
    const best = (name: string) => Math.min(...seconds.get(name)!);
    if (builds.length === 2) {
      const ratio = best(builds[1]!.name) / best(builds[0]!.name);
      rows.push([kind, 'time: this / baseline, best rounds', '', ratio.toFixed(2), '', '', '']);
    }
    if (digests.size !== 1) throw new Error(`${kind}: the builds counted different rollups`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const builds = [await loadBuild('this build', here)];
  if (COMPARE) builds.unshift(await loadBuild(`baseline (${COMPARE})`, join(COMPARE, 'dist')));
  else console.error('BENCH_COMPARE is not set: this build alone, no baseline.');
  const only = process.argv[2];
  const rows: string[][] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!only || only === kind) await benchDatabase(kind, builds, rows);
  }
  console.log(
    `\nFunnel counting: ${CLICKS.toLocaleString('en')} clicks queued again, node ${process.version}\n`,
  );
  console.log(
    '| database | build | round | counted in s | clicks/s | longest stall ms | rollups |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

await main();
