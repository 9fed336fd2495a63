/**
 * Read API benchmark: 1,000,000 clicks over 20 accounts (50,000 each), on SQLite and PostgreSQL.
 * Measures p50/p95 over HTTP of clickEvents' first page, of a page 10,000 rows deep, and of a
 * full clickStats, next to two baselines measured in the same run: the same reads as SQL alone
 * (no HTTP, no GraphQL) and the cheapest GraphQL round trip (`{ __typename }`).
 *
 *   npm run bench:read                 # both databases
 *   npm run bench:read -- sqlite       # one
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServer } from '../server/create-server.js';
import { dataSourceOptions, loadServerConfig } from '../server/server-config.js';
import { RollupBackfill, rebuildClickRollups } from '../src/rollups/rollup-backfill.js';
import { ClickEventQueries } from '../src/storage/click-event.queries.js';
import { scratchDatabase, timed } from './support/harness.js';

const ACCOUNTS = 20;
const PER_ACCOUNT = Number(process.env.BENCH_PER_ACCOUNT ?? 50_000);
const DAYS = 30;
const START = Date.UTC(2025, 9, 1);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACCOUNT = 'waba-07';
/** Scatters click times over the 30 days (g * SPREAD stays below 2^53). */
const SPREAD = 2_654_435_761;

interface Row {
  database: string;
  measure: string;
  runs: number;
  p50: number;
  p95: number;
}

/** The same seed on both databases, generated where the rows live. */
async function seed(dataSource: DataSource): Promise<void> {
  const total = ACCOUNTS * PER_ACCOUNT;
  const span = DAYS * 86_400_000;
  if (dataSource.driver.options.type === 'postgres') {
    await dataSource.query(`
      INSERT INTO click_events (business_account_id, phone_number_id, display_phone_number, action_type,
        click_component, click_id, product_id, tracking_token, occurred_at, received_at, dedupe_key, extra)
      SELECT 'waba-' || lpad((g % ${ACCOUNTS})::text, 2, '0'), 'phone-' || (i % 3), '+1555000' || (i % 3),
        CASE WHEN i % 10 = 0 THEN 'landing_page_view' ELSE 'marketing_messages_link_click' END,
        CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'body' ELSE 'cta' END,
        'click-' || g, CASE WHEN i % 7 = 0 THEN NULL ELSE 'sku-' || (i * 31 % 200) END, 'token',
        ${START} + (g::bigint * ${SPREAD} % ${span}), ${START + span}, 'click-' || g, NULL
      FROM generate_series(1, ${total}) AS g, LATERAL (SELECT g / ${ACCOUNTS} AS i) AS per_account`);
    // What autovacuum does to a table at rest: statistics, and the visibility map that lets
    // the statistics read the covering index alone.
    await dataSource.query('VACUUM ANALYZE click_events');
    return;
  }
  const db = (
    dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }
  ).databaseConnection;
  const insert = db.prepare(`INSERT INTO click_events (business_account_id, phone_number_id,
    display_phone_number, action_type, click_component, click_id, product_id, tracking_token,
    occurred_at, received_at, dedupe_key, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
  const batch = db.transaction((from: number, to: number) => {
    for (let g = from; g < to; g++) {
      const i = Math.floor(g / ACCOUNTS); // the click's place within its account
      insert.run(
        `waba-${String(g % ACCOUNTS).padStart(2, '0')}`,
        `phone-${i % 3}`,
        `+1555000${i % 3}`,
        i % 10 === 0 ? 'landing_page_view' : 'marketing_messages_link_click',
        [null, 'body', 'cta', 'cta'][i % 4],
        `click-${g}`,
        i % 7 === 0 ? null : `sku-${(i * 31) % 200}`,
        'token',
        START + ((g * SPREAD) % span),
        START + span,
        `click-${g}`,
      );
    }
  });
  for (let from = 1; from <= total; from += 50_000) batch(from, Math.min(total + 1, from + 50_000));
  db.exec('ANALYZE');
}

const PAGE = `query($a: ID!, $after: String, $first: Int) { clickEvents(businessAccountId: $a, first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id clickId clickComponent productId occurredAt } } } }`;
const STATS = `query($a: ID!) { clickStats(businessAccountId: $a) { total byComponent { key count }
  byActionType { key count } byPhoneNumber { key count } byProduct(limit: 10) { key count }
  timeseries(interval: DAY) { start count } } }`;

async function benchDatabase(kind: 'sqlite' | 'postgres', rows: Row[]): Promise<void> {
  const database = await scratchDatabase(kind, `clicks_bench_${process.pid}`, PG_URL);
  const url = database.url;

  let app: INestApplication | undefined;
  const dataSource = new DataSource(dataSourceOptions(url));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const seeded = performance.now();
    await seed(dataSource);
    await rebuildClickRollups(dataSource); // written with SQL: counted by the server (below)
    console.error(
      `${kind}: seeded ${ACCOUNTS * PER_ACCOUNT} clicks in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
    );

    app = await createServer(loadServerConfig({ DATABASE_URL: url }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const backfill = app.get(RollupBackfill);
    while (!(await backfill.done())) await new Promise((resolve) => setTimeout(resolve, 200));
    const endpoint = `${await app.getUrl()}/graphql`;
    const ask = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };

    // The cursor 10,000 rows deep, walked once.
    let deep: string | null = null;
    for (let i = 0; i < 20; i++) {
      const data = await ask(PAGE, { a: ACCOUNT, first: 500, after: deep });
      deep = data.clickEvents.pageInfo.endCursor;
    }
    const queries = new ClickEventQueries(dataSource);
    const criteria = { businessAccountId: ACCOUNT };
    const [occurredAt, id] = Buffer.from(deep!, 'base64url').toString().split(':');
    const position = { occurredAt: Number(occurredAt), id: id! };

    const add = (measure: string, runs: number, result: { p50: number; p95: number }) =>
      rows.push({ database: kind, measure, runs, ...result });
    add(
      'baseline: GraphQL round trip { __typename }',
      200,
      await timed(200, () => ask('{ __typename }', {})),
    );
    add(
      'baseline: SQL first page (no HTTP)',
      200,
      await timed(200, () => queries.findPage(criteria, 51)),
    );
    add(
      'clickEvents first page (50)',
      200,
      await timed(200, () => ask(PAGE, { a: ACCOUNT, first: 50 })),
    );
    add(
      'baseline: SQL page 10,000 deep',
      200,
      await timed(200, () => queries.findPage(criteria, 51, position)),
    );
    add(
      'clickEvents page 10,000 deep (50)',
      200,
      await timed(200, () => ask(PAGE, { a: ACCOUNT, first: 50, after: deep })),
    );
    add(
      'baseline: SQL of all clickStats fields, in turn',
      50,
      await timed(50, async () => {
        await queries.count(criteria);
        for (const column of ['click_component', 'action_type', 'phone_number_id'] as const) {
          await queries.breakdown(criteria, column);
        }
        await queries.breakdown(criteria, 'product_id', 10);
        await queries.timeRange(criteria);
      }),
    );
    add(
      `clickStats, all fields (${PER_ACCOUNT.toLocaleString('en')} events)`,
      50,
      await timed(50, () => ask(STATS, { a: ACCOUNT })),
    );
  } finally {
    await app?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

async function main(): Promise<void> {
  if (PER_ACCOUNT <= 10_500) {
    throw new Error('BENCH_PER_ACCOUNT must be above 10,500 to read a page 10,000 rows deep');
  }
  const only = process.argv[2];
  const rows: Row[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!only || only === kind) await benchDatabase(kind, rows);
  }
  console.log(
    `\nRead API: ${ACCOUNTS} accounts x ${PER_ACCOUNT} clicks, node ${process.version}\n`,
  );
  console.log('| database | measure | runs | p50 ms | p95 ms |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.database} | ${row.measure} | ${row.runs} | ${row.p50.toFixed(2)} | ${row.p95.toFixed(2)} |`,
    );
  }
}

await main();
