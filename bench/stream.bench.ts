/**
 * Resumable subscriptions (issue 14), on 1,000,000 clicks of one account (plus 1,000,000 of
 * another), SQLite and PostgreSQL:
 * - the migration AddClickStreamOrder on that table: how long writes wait for it; baseline in the
 *   same run, a full COUNT(*) of the table;
 * - a subscriber resuming from the first click reads all 1M back: clicks per second and its
 *   longest read (on SQLite a read holds the event loop); baseline, the same clicks paged with
 *   `clickEvents`' keyset (ClickEventQueries.findPage, 200 a page);
 * - the same for a sparse account: 1 click in 100 of the other account's 1M (10,000 clicks);
 * - clickEvents' first page after the migration, against before it: the planner must keep
 *   using the account-time index.
 *
 *   npm run bench:stream
 *   BENCH_CLICKS=200000 npm run bench:stream
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../server/server-config.js';
import { ClickEventQueries } from '../src/storage/click-event.queries.js';
import { whatsAppClicksMigrations } from '../src/storage/migrations/index.js';
import { AddClickStreamOrder1764600000000 } from '../src/storage/migrations/1764600000000-add-click-stream-order.js';
import { ClickStreamReader, type StreamPosition } from '../src/stream/click-stream.reader.js';
import { scratchDatabase } from './support/harness.js';
import { seedClicks } from './support/seed-clicks.js';

const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
const PAGE = 200;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;

type Row = string[];

async function timedMs(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function bench(kind: 'sqlite' | 'postgres', rows: Row[]): Promise<void> {
  const database = await scratchDatabase(kind, `clicks_stream_${process.pid}`, PG_URL);
  const before = whatsAppClicksMigrations.filter((m) => m !== AddClickStreamOrder1764600000000);
  const dataSource = new DataSource({ ...dataSourceOptions(database.url), migrations: before });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const start = Date.now() - 90 * DAY;
    await seedClicks(dataSource, 'other', CLICKS, { start, days: 90, inOrder: true });
    await seedClicks(dataSource, 'big', CLICKS, { start, days: 90, inOrder: true });
    await dataSource.query(
      `UPDATE click_events SET business_account_id = 'sparse' WHERE business_account_id = 'other' AND id % 100 = 0`,
    );
    const queries = new ClickEventQueries(dataSource);
    const firstPage = () => timedMs(() => queries.findPage({ businessAccountId: 'big' }, PAGE));
    await firstPage();
    const pageBefore = await firstPage();

    const scan = await timedMs(() => dataSource.query('SELECT COUNT(*) FROM click_events'));
    const runner = dataSource.createQueryRunner();
    const migration = await timedMs(async () => {
      await runner.startTransaction();
      await new AddClickStreamOrder1764600000000().up(runner);
      await runner.commitTransaction();
    });
    await runner.release();
    const clicks = (2 * CLICKS).toLocaleString('en');
    rows.push([kind, `migration on ${clicks} clicks`, ms(migration), `COUNT(*) ${ms(scan)}`]);
    const pageAfter = await firstPage();
    rows.push([
      kind,
      'clickEvents first page, after it',
      ms(pageAfter),
      `before: ${ms(pageBefore)}`,
    ]);
    for (const account of ['big', 'sparse']) {
      rows.push(await resume(dataSource, queries, kind, account));
    }
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await database.drop();
  }
}

/** Reads an account's clicks from its first with the stream, then with clickEvents' pages. */
async function resume(
  dataSource: DataSource,
  queries: ClickEventQueries,
  kind: string,
  account: string,
): Promise<Row> {
  const reader = new ClickStreamReader(dataSource, queries);
  const criteria = { businessAccountId: account };
  const [first] = await dataSource.query<{ id: string | number; occurredAt: string | number }[]>(
    `SELECT id, occurred_at AS "occurredAt" FROM click_events WHERE business_account_id = '${account}' ORDER BY id LIMIT 1`,
  );
  let position: StreamPosition | null = await reader.positionAfter(account, {
    id: String(first!.id),
    occurredAt: Number(first!.occurredAt),
  });
  let read = 0;
  let reads = 0;
  let longest = 0;
  const streamed = await timedMs(async () => {
    for (;;) {
      const started = performance.now();
      const page = await reader.read(criteria, position!, PAGE);
      longest = Math.max(longest, performance.now() - started);
      reads++;
      read += page.clicks.length;
      const moved = page.position.id !== position!.id || page.position.tx !== position!.tx;
      position = page.position;
      if (page.clicks.length === 0 && !moved) break;
    }
  });

  let paged = 0;
  let pageLongest = 0;
  const keyset = await timedMs(async () => {
    let after: { occurredAt: number; id: string } | undefined;
    for (;;) {
      const started = performance.now();
      const page = await queries.findPage(criteria, PAGE, after);
      pageLongest = Math.max(pageLongest, performance.now() - started);
      paged += page.length;
      const last = page.at(-1);
      if (!last) break;
      after = { occurredAt: last.occurredAt.getTime(), id: last.id };
    }
  });
  return [
    kind,
    `resume ${account} from its first click: ${read.toLocaleString('en')} read in ${reads} reads`,
    `${perSecond(read, streamed)}/s, longest read ${ms(longest)}`,
    `clickEvents pages: ${perSecond(paged, keyset)}/s, longest ${ms(pageLongest)}`,
  ];
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const perSecond = (count: number, msTaken: number) =>
  Math.round((count / msTaken) * 1000).toLocaleString('en');

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) await bench(kind, rows);
  console.log(`\nResumable subscriptions, node ${process.version}\n`);
  console.log('| database | what | measured | baseline (same run) |');
  console.log('| --- | --- | ---: | ---: |');
  for (const [kind, what, measured, baseline] of rows) {
    console.log(`| ${kind} | ${what} | ${measured} | ${baseline} |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
