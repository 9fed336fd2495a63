// npm run bench:abuse
// 1. Webhook latency while one client sends the worst GraphQL queries the limits allow, against
//    the same webhooks with no such client, in the same run (SQLite, the standalone server).
// 2. What each abusive request of issue 15 gets now: status, error code, time.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { percentile } from './support/harness.js';
import { freshDatabase, load, SECRET, startTarget } from './support/ingest-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const DATABASE = process.env.BENCH_DB === 'postgres' ? 'postgres' : 'sqlite';
const ABUSERS = Number(process.env.BENCH_ABUSERS ?? 1);
const WEBHOOK = { name: '1 action', actions: 1, connections: 8 };

/** 3 days around the seeded clicks (stamped now): 4,320 MINUTE buckets, under the 5,000. */
const WINDOW = {
  from: new Date(Date.now() - 2 * 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
};

/** One alias: every statistic of an account and a MINUTE timeseries of 3 days. */
const worstStats = (account: string, alias: string) =>
  `${alias}: clickStats(businessAccountId: "${account}", filter: { from: "${WINDOW.from}", to: "${WINDOW.to}" }) {
    total byComponent { key count } byActionType { key count } byPhoneNumber { key count }
    byProduct(limit: 1000) { key count } timeseries(interval: MINUTE) { start count } }`;

async function graphql(url: string, query: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** The largest query of worstStats aliases the cost limit lets through. */
async function worstAllowedQuery(url: string): Promise<{ query: string; aliases: number }> {
  let best = { query: '', aliases: 0 };
  for (let n = 1; n <= 30; n++) {
    const query = `{ ${Array.from({ length: n }, (_, i) => worstStats('waba-0', `a${i}`)).join('\n')} }`;
    const answer = await graphql(url, query);
    if (answer.body?.errors) {
      if (n === 1)
        throw new Error(`even one alias is refused: ${JSON.stringify(answer.body.errors)}`);
      break;
    }
    best = { query, aliases: n };
  }
  return best;
}

function signed(body: string) {
  return {
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  };
}

async function post(url: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: signed(body),
    body,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const action = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  action_type: 'marketing_messages_link_click',
  timestamp: '1735689600',
  marketing_messages_link_click_data: { click_component: 'cta', tracking_token: 't', ...data },
  ...extra,
});
const deliveryOf = (actions: unknown[], account = 'waba-abuse') =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: account,
        changes: [
          {
            field: 'messages',
            value: { metadata: { phone_number_id: 'p' }, user_actions: actions },
          },
        ],
      },
    ],
  });
const deepJson = (depth: number) => `${'{"n":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Each abusive request of issue 15, once. */
async function abuseTable(url: string): Promise<string[][]> {
  const rows: string[][] = [];
  const record = async (name: string, run: () => Promise<{ status: number; body: any }>) => {
    const started = performance.now();
    const { status, body } = await run();
    const ms = (performance.now() - started).toFixed(0);
    const code =
      body?.errors?.[0]?.extensions?.code ??
      (body?.stored !== undefined
        ? `stored ${body.stored}, rejected ${body.rejected}`
        : (body?.message ?? '').slice(0, 60));
    rows.push([name, String(status), String(code), ms]);
  };
  const stats = (filter: string) =>
    `{ clickStats(businessAccountId: "waba-0", filter: ${filter}) { timeseries(interval: DAY) { start count } } }`;
  await record('timeseries, only `to` in 9999', () =>
    graphql(url, stats('{ to: "9999-12-31T00:00:00Z" }')),
  );
  await record('timeseries, only `to` at +275760', () =>
    graphql(url, stats('{ to: "+275760-09-13T00:00:00.000Z" }')),
  );
  await record('first: -2147483648 + 400 clickStats', () =>
    graphql(
      url,
      `{ clickEvents(businessAccountId: "waba-0", first: -2147483648) { totalCount } ${Array.from({ length: 400 }, (_, i) => `s${i}: clickStats(businessAccountId: "waba-0") { total }`).join(' ')} }`,
    ),
  );
  await record('1,000 aliases of clickEvent(id)', () =>
    graphql(
      url,
      `{ ${Array.from({ length: 1000 }, (_, i) => `e${i}: clickEvent(id: "${i + 1}") { id }`).join(' ')} }`,
    ),
  );
  await record('a 1 MB account id', () =>
    graphql(url, `{ clickStats(businessAccountId: "${'x'.repeat(1_000_000)}") { total } }`),
  );
  await record('NUL in a filter', () =>
    graphql(
      url,
      '{ clickEvents(businessAccountId: "waba-0", filter: { productId: "a\\u0000b" }) { totalCount } }',
    ),
  );
  await record('/graphql body of 2 MB', async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{__typename}', pad: 'x'.repeat(2_000_000) }),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  });
  await record('/graphql malformed JSON', async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":',
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  });
  await record('/graphql as a form', async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=x',
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  });
  await record('webhook: a valid action beside one nested 3,100 deep', () =>
    post(
      url,
      deliveryOf([action({ click_id: 'ok-deep' })]).replace(
        '"user_actions":[',
        `"user_actions":[${JSON.stringify(action({ click_id: 'deep' })).replace(/}$/, `,"x":${deepJson(3100)}}`)},`,
      ),
    ),
  );
  await record('webhook: click_id of 3,000 bytes beside a valid one', () =>
    post(
      url,
      deliveryOf([action({ click_id: 'ok-long' }), action({ click_id: 'x'.repeat(3000) })]),
    ),
  );
  await record('webhook: 9,400 rejected actions beside a valid one', () =>
    post(
      url,
      deliveryOf([
        action({ click_id: 'ok-many' }),
        ...Array.from({ length: 9400 }, () => ({ action_type: 'x' })),
      ]),
    ),
  );
  await record('webhook: 1,000 entries x 1,000 actions', () => {
    const entry = JSON.parse(deliveryOf(Array.from({ length: 1000 }, () => ({ action_type: 'x' }))))
      .entry[0];
    return post(
      url,
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: Array.from({ length: 1000 }, () => entry),
      }),
    );
  });
  await record(
    'webhook: a body that stalls (30 s timeout)',
    () =>
      new Promise((resolve) => {
        const { hostname, port } = new URL(url);
        const socket = connect(Number(port), hostname, () =>
          socket.write(
            'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          ),
        );
        socket.on('close', () =>
          resolve({ status: 0, body: { message: 'connection closed by the server' } }),
        );
      }),
  );
  return rows;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const database = await freshDatabase(DATABASE);
  const target = await startTarget('project', database.url);
  try {
    await load(target.url, { name: 'seed', actions: 1000, connections: 2 }, { amount: 100 });
    const worst = await worstAllowedQuery(target.url);
    console.log(
      `seeded 100,000 clicks in waba-0 (one large sender); the worst allowed query has ${worst.aliases} aliases`,
    );

    const rows: string[][] = [];
    for (let round = 1; round <= 2; round++) {
      const quiet = await load(target.url, WEBHOOK, { duration: SECONDS });
      let stop = false;
      let queries = 0;
      const abusers = Array.from({ length: ABUSERS }, async () => {
        const times: number[] = [];
        while (!stop) {
          const started = performance.now();
          await graphql(target.url, worst.query);
          times.push(performance.now() - started);
          queries++;
        }
        return times;
      });
      const loud = await load(target.url, WEBHOOK, { duration: SECONDS });
      stop = true;
      const queryTimes = (await Promise.all(abusers)).flat().sort((a, b) => a - b);
      rows.push(
        [
          'alone',
          String(round),
          quiet.requests.average.toFixed(0),
          String(quiet.latency.p50),
          String(quiet.latency.p99),
          '-',
          '-',
        ],
        [
          'with the worst queries',
          String(round),
          loud.requests.average.toFixed(0),
          String(loud.latency.p50),
          String(loud.latency.p99),
          String(queries),
          percentile(queryTimes, 50).toFixed(0),
        ],
      );
    }
    console.log(
      `\nSingle-action webhooks (${WEBHOOK.connections} connections, ${SECONDS} s) beside ${ABUSERS} clients sending the worst allowed query (${worst.aliases} aliases), ${DATABASE}\n`,
    );
    console.log(
      table(
        ['webhooks', 'round', 'req/s', 'p50 ms', 'p99 ms', 'queries answered', 'query p50 ms'],
        rows,
      ),
    );
    console.log('\nWhat each abusive request gets\n');
    console.log(table(['request', 'HTTP status', 'answer', 'ms'], await abuseTable(target.url)));
  } finally {
    await target.stop();
    await database.drop();
  }
}

await main();
