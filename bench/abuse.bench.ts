// npm run bench:abuse                      (BENCH_DB=postgres for PostgreSQL)
// BENCH_COMPARE=../old npm run bench:abuse  (also another built checkout, same rounds, first)
// BENCH_NODE_ENV=development                (the servers' NODE_ENV; default production)
// 1. Webhook latency while one client sends, one after the other, the largest query the limits
//    allow of each of the SHAPES that read the clicks, against the same webhooks with no such
//    client, in the same run (the standalone server).
// 2. What each abusive request of issue 15 gets now: status, error code, time.
import type autocannon from 'autocannon';
import { abuseTable, graphql } from './support/abuse-requests.js';
import { percentile } from './support/harness.js';
import { freshDatabase, load, startTarget } from './support/ingest-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const DATABASE = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';
const ABUSERS = Number(process.env.BENCH_ABUSERS ?? 1);
const COMPARE = process.env.BENCH_COMPARE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const NODE_ENV = process.env.BENCH_NODE_ENV ?? 'production';
const WEBHOOK = { name: '1 action', actions: 1, connections: 8 };

/** 3 days around the seeded clicks (stamped now): 4,320 MINUTE buckets, under the 5,000. */
const WINDOW = {
  from: new Date(Date.now() - 2 * 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
};

const STATS_FIELDS = `total byComponent { key count } byActionType { key count } byPhoneNumber { key count }
    byProduct(limit: 1000) { key count }`;
const FUNNEL_FIELDS = `steps { name count } byComponent { key steps { name count } }
    byProduct(limit: 100) { key steps { name count } }`;

/**
 * Queries that read the clicks themselves rather than the rollups, each as one alias of a
 * query; the bench runs each with as many aliases as the limits allow.
 */
const SHAPES: Record<string, (alias: string) => string> = {
  'full clickStats, MINUTE timeseries of 3 days': (alias) =>
    `${alias}: clickStats(businessAccountId: "waba-0", filter: { from: "${WINDOW.from}", to: "${WINDOW.to}" }) {
    ${STATS_FIELDS} timeseries(interval: MINUTE) { start count } }`,
  'full clickStats, two filters (no rollup answers it)': (alias) =>
    `${alias}: clickStats(businessAccountId: "waba-0", filter: { clickComponent: CTA, phoneNumberId: "106540352242922" }) {
    ${STATS_FIELDS} timeseries(interval: HOUR) { start count } }`,
  'clickEvents of a product no click has, with totalCount': (alias) =>
    `${alias}: clickEvents(businessAccountId: "waba-0", first: 500, filter: { productId: "none" }) {
    totalCount edges { node { id } } }`,
  'clickFunnel, two filters (from the tables)': (alias) =>
    `${alias}: clickFunnel(businessAccountId: "waba-0", filter: { clickComponent: CTA, phoneNumberId: "106540352242922" }) {
    ${FUNNEL_FIELDS} }`,
};

interface Allowed {
  shape: string;
  query: string;
  aliases: number;
  /** Median of 3 runs alone, ms. */
  ms: number;
}

/** Each shape with the most aliases the cost limit lets through, and how long it takes alone. */
async function allowedQueries(url: string): Promise<Allowed[]> {
  const found: Allowed[] = [];
  for (const [shape, alias] of Object.entries(SHAPES)) {
    // From the top: a query over the cost limit is refused before it runs, so only the
    // largest allowed one runs.
    let best = { query: '', aliases: 0 };
    for (let n = 30; n >= 1 && best.aliases === 0; n--) {
      const query = `{ ${Array.from({ length: n }, (_, i) => alias(`a${i}`)).join('\n')} }`;
      const answer = await graphql(url, query);
      if (!answer.body?.errors && answer.body?.data) best = { query, aliases: n };
      else if (n === 1) throw new Error(`${shape}: refused: ${JSON.stringify(answer.body)}`);
    }
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const answer = await graphql(url, best.query);
      times.push(performance.now() - started);
      if (answer.status !== 200 || answer.body?.errors || !answer.body?.data) {
        throw new Error(
          `${shape}: answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`,
        );
      }
    }
    found.push({ shape, ...best, ms: times.sort((a, b) => a - b)[1]! });
  }
  return found;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const latency = (result: autocannon.Result) => [
  result.requests.average.toFixed(0),
  String(result.latency.p50),
  String(result.latency.p99),
];

/** Webhooks for SECONDS while ABUSERS clients each send `query` again as soon as it is answered. */
async function besideQueries(url: string, query: string) {
  let stop = false;
  const abusers = Array.from({ length: ABUSERS }, async () => {
    const times: number[] = [];
    while (!stop) {
      const started = performance.now();
      await graphql(url, query);
      times.push(performance.now() - started);
    }
    return times;
  });
  const webhooks = await load(url, WEBHOOK, { duration: SECONDS });
  stop = true;
  const times = (await Promise.all(abusers)).flat().sort((a, b) => a - b);
  return { webhooks, times };
}

/** One build, on a fresh database: what the limits allow, then webhooks alone and beside each shape. */
async function measure(kind: 'project' | 'baseline'): Promise<void> {
  const database = await freshDatabase(DATABASE);
  const target = await startTarget(kind, database.url, {
    checkout: COMPARE,
    // As deployed: graphql-js and Nest skip their development checks. GraphQL open, as the
    // attacker of issue 15 found it.
    env: { NODE_ENV, CLICKS_ALLOW_ANONYMOUS: 'true' },
  });
  try {
    await load(
      target.url,
      { name: 'seed', actions: 1000, connections: 2, account: 'waba-0' },
      { amount: 100 },
    );
    const allowed = await allowedQueries(target.url);
    console.log(
      `\n## ${kind === 'project' ? 'this build' : `baseline ${COMPARE}`}, ${DATABASE}, NODE_ENV=${NODE_ENV}\n\nseeded 100,000 clicks in waba-0 (one large sender); what the limits allow:\n`,
    );
    console.log(
      table(
        ['query', 'aliases allowed', 'alone, ms'],
        allowed.map((a) => [a.shape, String(a.aliases), a.ms.toFixed(0)]),
      ),
    );
    const rows: string[][] = [];
    let worst = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const quiet = await load(target.url, WEBHOOK, { duration: SECONDS });
      rows.push(['alone', String(round), ...latency(quiet), '-', '-']);
      for (const query of allowed) {
        const beside = await besideQueries(target.url, query.query);
        worst = Math.max(worst, beside.webhooks.latency.p99);
        rows.push([
          `beside: ${query.shape} (${query.aliases})`,
          String(round),
          ...latency(beside.webhooks),
          String(beside.times.length),
          percentile(beside.times, 50).toFixed(0),
        ]);
      }
    }
    console.log(
      `\nSingle-action webhooks (${WEBHOOK.connections} connections, ${SECONDS} s) alone, then beside ${ABUSERS} client(s) sending one allowed query after the other (aliases)\n`,
    );
    console.log(
      table(
        ['webhooks', 'round', 'req/s', 'p50 ms', 'p99 ms', 'queries answered', 'query p50 ms'],
        rows,
      ),
    );
    console.log(`\nworst webhook p99 beside any of them: ${worst} ms`);
    if (kind === 'project') {
      console.log('\nWhat each abusive request gets\n');
      console.log(table(['request', 'HTTP status', 'answer', 'ms'], await abuseTable(target.url)));
    }
  } finally {
    await target.stop();
    await database.drop();
  }
}

if (COMPARE) await measure('baseline');
await measure('project');
