/**
 * Funnel benchmark (issue 13): `clickFunnel` of an account with 1,000,000 link clicks, 500,000
 * landing views (Meta's action) and 100,000 purchases (conversions), over HTTP, on SQLite and
 * PostgreSQL, beside two baselines of the same run: the cheapest GraphQL round trip and a plain
 * COUNT(*) of the account's clicks in SQL. Then webhooks, one after the other, alone and while
 * the funnel is being counted (3 in a row): their p99 and longest answer say whether it holds
 * the server up (on SQLite it is counted in parts of ~10 ms, the event loop let go between).
 *
 *   npm run bench:funnel                  # both databases
 *   npm run bench:funnel -- sqlite
 *   BENCH_CLICKS=100000 npm run bench:funnel
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServer } from '../server/create-server.js';
import { DEV_APP_SECRET, dataSourceOptions, loadServerConfig } from '../server/server-config.js';
import { ClickFunnelService } from '../src/funnel/click-funnel.service.js';
import { RollupBackfill, rebuildClickRollups } from '../src/rollups/rollup-backfill.js';
import { sqliteHandle } from '../src/storage/sqlite-writer.js';
import { percentile, postClick, scratchDatabase, timed } from './support/harness.js';

const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START = Date.UTC(2026, 9, 1);
const ACCOUNT = 'big';
const FUNNEL = `{ clickFunnel(businessAccountId: "${ACCOUNT}", steps: ["sent", "click", "landing_page_view", "purchase"]) {
  steps { name count rate values { currency sum count } } } }`;

/** Clicks c-1..c-N; landing views of every 2nd; purchases of every 10th. */
async function seed(dataSource: DataSource): Promise<void> {
  const columns = `business_account_id, phone_number_id, action_type, click_component, click_id,
    product_id, tracking_token, occurred_at, received_at, dedupe_key`;
  if (dataSource.driver.options.type === 'postgres') {
    await dataSource.query(`INSERT INTO click_events (${columns})
      SELECT '${ACCOUNT}', 'p', 'marketing_messages_link_click', 'cta', 'c-' || i, 'sku-' || (i % 200), 't',
        ${START} + i * 60, ${START} + i * 60, 'c-' || i FROM generate_series(1, ${CLICKS}) AS i`);
    await dataSource.query(`INSERT INTO click_events (${columns})
      SELECT '${ACCOUNT}', 'p', 'landing_page_view', NULL, 'c-' || i, NULL, 't',
        ${START} + i * 60 + 5, ${START} + i * 60 + 5, 'c-' || i FROM generate_series(2, ${CLICKS}, 2) AS i`);
    await dataSource.query(`INSERT INTO click_conversions (click_id, event, occurred_at, received_at,
        value, currency, external_id, dedupe_key, source)
      SELECT 'c-' || i, 'purchase', ${START} + i * 60 + 60, ${START} + i * 60 + 60, 10, 'EUR', NULL,
        'id:o-' || i, 'server' FROM generate_series(10, ${CLICKS}, 10) AS i`);
    await dataSource.query('VACUUM ANALYZE');
    return;
  }
  const db = sqliteHandle(dataSource);
  const click = db.prepare(
    `INSERT INTO click_events (${columns}) VALUES (?, 'p', ?, ?, ?, ?, 't', ?, ?, ?)`,
  );
  const conversion = db.prepare(`INSERT INTO click_conversions (click_id, event, occurred_at,
    received_at, value, currency, external_id, dedupe_key, source) VALUES (?, 'purchase', ?, ?, 10, 'EUR', NULL, ?, 'server')`);
  db.transaction(() => {
    for (let i = 1; i <= CLICKS; i++) {
      const at = START + i * 60;
      click.run(
        ACCOUNT,
        'marketing_messages_link_click',
        'cta',
        `c-${i}`,
        `sku-${i % 200}`,
        at,
        at,
        `c-${i}`,
      );
      if (i % 2 === 0) {
        click.run(ACCOUNT, 'landing_page_view', null, `c-${i}`, null, at + 5, at + 5, `c-${i}`);
      }
      if (i % 10 === 0) conversion.run(`c-${i}`, at + 60, at + 60, `id:o-${i}`);
    }
  })();
  db.exec('ANALYZE');
}

async function benchDatabase(kind: 'sqlite' | 'postgres', rows: string[][]): Promise<void> {
  const database = await scratchDatabase(kind, `clicks_funnel_${process.pid}`, PG_URL);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  let app: INestApplication | undefined;
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const started = performance.now();
    await seed(dataSource);
    console.error(`${kind}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    // Seeded around the module: counted again from nothing, as `rebuildClickRollups` documents.
    await rebuildClickRollups(dataSource);
    app = await createServer(loadServerConfig({ DATABASE_URL: database.url }), { logger: false });
    await app.listen(0, '127.0.0.1');
    const endpoint = `${await app.getUrl()}/graphql`;
    const webhook = `${await app.getUrl()}/webhooks/whatsapp`;
    const backfill = app.get(RollupBackfill);
    const building = performance.now();
    const during = await webhooksWhile(webhook, async () => {
      while (!(await backfill.done()) || (await queued(dataSource)) > 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const built = (performance.now() - building) / 1000;
    rows.push([
      kind,
      `rollups built (statistics + funnel) in ${built.toFixed(1)} s; webhooks meanwhile: ${during.length} answered, p99 / longest ${percentile(during, 99).toFixed(1)} / ${during.at(-1)!.toFixed(1)} ms`,
      percentile(during, 50).toFixed(1),
      percentile(during, 95).toFixed(1),
    ]);
    const ask = async (query: string) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const add = async (measure: string, fn: () => unknown) => {
      const { p50, p95 } = await timed(RUNS, fn);
      rows.push([kind, measure, p50.toFixed(1), p95.toFixed(1)]);
    };
    await add('baseline: { __typename } over HTTP', () => ask('{ __typename }'));
    await add('baseline: SQL COUNT(*) of the account', () =>
      dataSource.query(
        `SELECT COUNT(*) FROM click_events WHERE business_account_id = '${ACCOUNT}'`,
      ),
    );
    await add('clickFunnel: sent, click, landing_page_view, purchase', () => ask(FUNNEL));
    const answer = JSON.stringify(await ask(FUNNEL));
    console.error(answer);
    await add('clickFunnel, from/to off the quarter hours (their ends from the tables)', () =>
      ask(
        FUNNEL.replace(
          `"${ACCOUNT}",`,
          `"${ACCOUNT}", filter: { from: "${new Date(START + 7_654_321).toISOString()}", to: "${new Date(START + CLICKS * 30_000 + 1234).toISOString()}" },`,
        ),
      ),
    );
    await add('clickFunnel byProduct(limit: 10) (200 products)', () =>
      ask(FUNNEL.replace('steps {', 'byProduct(limit: 10) { key steps { name count } } steps {')),
    );
    // The same funnel read from the tables, as before the rollups (in process, fewer runs).
    const fromTables = new ClickFunnelService(dataSource, {
      read: () => Promise.resolve(null),
    } as never);
    const steps = ['sent', 'click', 'landing_page_view', 'purchase'];
    const { p50, p95 } = await timed(3, () =>
      fromTables.funnel({ businessAccountId: ACCOUNT }, steps),
    );
    rows.push([
      kind,
      'the same funnel from the tables (3 runs, in process)',
      p50.toFixed(1),
      p95.toFixed(1),
    ]);
    const raw = await fromTables.funnel({ businessAccountId: ACCOUNT }, steps);
    const rolled = (JSON.parse(answer) as { clickFunnel: { steps: unknown } }).clickFunnel.steps;
    if (JSON.stringify(raw) !== JSON.stringify(rolled)) {
      throw new Error(
        `rollups ${JSON.stringify(rolled)} differ from the tables ${JSON.stringify(raw)}`,
      );
    }

    const alone = await webhooksWhile(webhook, () => new Promise((r) => setTimeout(r, 3000)));
    const beside = await webhooksWhile(webhook, async () => {
      for (let i = 0; i < 3; i++) await ask(FUNNEL);
    });
    for (const [label, ms] of [
      ['webhooks alone', alone],
      ['webhooks while clickFunnel runs', beside],
    ] as const) {
      rows.push([
        kind,
        `${label}: ${ms.length} answered, p99 / longest ${percentile(ms, 99).toFixed(1)} / ${ms.at(-1)!.toFixed(1)} ms`,
        percentile(ms, 50).toFixed(1),
        percentile(ms, 95).toFixed(1),
      ]);
    }
  } finally {
    await app?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.drop();
  }
}

async function queued(dataSource: DataSource): Promise<number> {
  const [row] = await dataSource.query<{ n: string | number }[]>(
    'SELECT COUNT(*) AS n FROM click_funnel_queue',
  );
  return Number(row?.n ?? 0);
}

/** Signed single-click webhooks, one at a time, while `work` runs: their answer times, sorted. */
async function webhooksWhile(url: string, work: () => Promise<unknown>): Promise<number[]> {
  let running = true;
  const times: number[] = [];
  const sender = (async () => {
    for (let n = 0; running; n++) {
      const started = performance.now();
      await postClick(url, 'webhooks', `w-${Date.now()}-${n}`, DEV_APP_SECRET);
      times.push(performance.now() - started);
    }
  })();
  await work();
  running = false;
  await sender;
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const rows: string[][] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!only || only === kind) await benchDatabase(kind, rows);
  }
  console.log(
    `\nFunnel: ${CLICKS.toLocaleString('en')} clicks, ${(CLICKS / 2).toLocaleString('en')} landing views, ${(CLICKS / 10).toLocaleString('en')} purchases in one account, ${RUNS} runs, node ${process.version}\n`,
  );
  console.log('| database | measure | p50 ms | p95 ms |');
  console.log('| --- | --- | ---: | ---: |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

await main();
