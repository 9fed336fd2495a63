/**
 * Live clicks benchmark: 1,000 graphql-ws subscribers over 10 accounts while signed webhooks
 * arrive at a steady rate. Servers run as child processes (`npm start`'s server); this process
 * only sends webhooks and receives clicks. Latency is measured from the moment the webhook's
 * answer arrived to the moment each subscriber got the click (0 when the click came first), and
 * from the moment the webhook was sent. Runs in-process (one instance, SQLite) and through Redis
 * (two instances on one PostgreSQL, subscribers and webhooks split over both). Baseline, same
 * run: a bare Redis PUBLISH to a subscribed ioredis client. Each setup runs twice: subscribers
 * as today (no cursor: direct fan-out) and resumed (`after`: the cursor of a click stored before,
 * so every click is read from the database).
 *
 *   npm run bench:live
 */
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import {
  percentile,
  postClick,
  scratchDatabase,
  startServerProcess,
  type ServerProcess,
} from './support/harness.js';

const SUBSCRIBERS = 1000;
const ACCOUNTS = 10;
const RATE_PER_SECOND = 50;
const SECONDS = 10;
const SECRET = 'bench-secret';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Result {
  setup: string;
  clicks: number;
  expected: number;
  delivered: number;
  answerP50: number;
  answerP99: number;
  sendP50: number;
  sendP99: number;
}

const account = (i: number) => `bench-live-${process.pid}-${i % ACCOUNTS}`;

/** A click stored in each account, and its cursor: where resumed subscribers start. */
async function seedCursors(server: ServerProcess): Promise<Map<string, string>> {
  const cursors = new Map<string, string>();
  for (let a = 0; a < ACCOUNTS; a++) {
    const businessAccountId = account(a);
    await post(server, businessAccountId, `seed-${process.pid}-${a}-${Date.now()}`);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ clickEvents(businessAccountId: "${businessAccountId}", first: 1) { edges { cursor } } }`,
      }),
    });
    const answer = (await response.json()) as {
      data: { clickEvents: { edges: { cursor: string }[] } };
    };
    cursors.set(businessAccountId, answer.data.clickEvents.edges[0]!.cursor);
  }
  return cursors;
}

const post = (server: ServerProcess, businessAccountId: string, clickId: string) =>
  postClick(`${server.url}/webhooks/whatsapp`, businessAccountId, clickId, SECRET);

async function run(setup: string, servers: ServerProcess[], resume: boolean): Promise<Result> {
  const cursors = resume ? await seedCursors(servers[0]!) : null;
  setup = `${resume ? 'resumed' : 'direct'}, ${setup}`;
  const clients: Client[] = [];
  const answeredAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const deliveries: { clickId: string; at: number }[] = [];
  let subscribed = 0;

  // One socket per subscriber, as 1000 dashboards would have.
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const server = servers[i % servers.length]!;
    const client = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
    });
    clients.push(client);
    const after = cursors ? `, after: "${cursors.get(account(i))}"` : '';
    client.subscribe(
      {
        query: `subscription { clickEventReceived(businessAccountId: "${account(i)}"${after}) { clickId } }`,
      },
      {
        next: (result) => {
          const clickId = (result.data as { clickEventReceived: { clickId: string } } | undefined)
            ?.clickEventReceived.clickId;
          if (clickId) deliveries.push({ clickId, at: performance.now() });
        },
        error: (error) => console.error('subscriber error', error),
        complete: () => undefined,
      },
    );
    client.on('connected', () => subscribed++);
  }
  while (subscribed < SUBSCRIBERS) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // every subscribe message handled

  const total = RATE_PER_SECOND * SECONDS;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const clickId = `live-${setup}-${n}`;
    const server = servers[n % servers.length]!;
    sentAt.set(clickId, performance.now());
    inFlight.push(
      post(server, account(n), clickId).then(() => {
        answeredAt.set(clickId, performance.now());
      }),
    );
  }
  await Promise.all(inFlight);
  const expected = total * (SUBSCRIBERS / ACCOUNTS);
  const deadline = performance.now() + 10_000;
  while (deliveries.length < expected && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.all(clients.map(async (client) => client.dispose()));

  const fromAnswer = deliveries
    .map((d) => Math.max(0, d.at - answeredAt.get(d.clickId)!))
    .sort((a, b) => a - b);
  const fromSend = deliveries.map((d) => d.at - sentAt.get(d.clickId)!).sort((a, b) => a - b);
  return {
    setup,
    clicks: total,
    expected,
    delivered: deliveries.length,
    answerP50: percentile(fromAnswer, 50),
    answerP99: percentile(fromAnswer, 99),
    sendP50: percentile(fromSend, 50),
    sendP99: percentile(fromSend, 99),
  };
}

/** A bare Redis round trip: PUBLISH on one connection, the message on another. */
async function redisBaseline(): Promise<{ p50: number; p99: number }> {
  const publisher = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  const channel = `bench-baseline-${process.pid}`;
  await subscriber.subscribe(channel);
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const received = new Promise<void>((resolve) => subscriber.once('message', () => resolve()));
    const started = performance.now();
    await publisher.publish(channel, 'x');
    await received;
    samples.push(performance.now() - started);
  }
  publisher.disconnect();
  subscriber.disconnect();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const env = { WHATSAPP_APP_SECRET: SECRET, WHATSAPP_VERIFY_TOKEN: 'bench' };

  const file = await scratchDatabase('sqlite', 'clicks-live', PG_URL);
  const single = await startServerProcess({ ...env, DATABASE_URL: file.url });
  try {
    results.push(await run('in-process, 1 instance, SQLite', [single], false));
    results.push(await run('in-process, 1 instance, SQLite', [single], true));
  } finally {
    await single.stop();
    await file.drop();
  }

  const database = await scratchDatabase('postgres', `clicks_live_${process.pid}`, PG_URL);
  // The first instance runs the migrations before the second starts.
  const first = await startServerProcess({ ...env, DATABASE_URL: database.url, REDIS_URL });
  const second = await startServerProcess({ ...env, DATABASE_URL: database.url, REDIS_URL });
  try {
    results.push(await run('Redis, 2 instances, PostgreSQL', [first, second], false));
    results.push(await run('Redis, 2 instances, PostgreSQL', [first, second], true));
  } finally {
    await first.stop();
    await second.stop();
    await database.drop();
  }
  const baseline = await redisBaseline();

  console.log(
    `\nLive clicks: ${SUBSCRIBERS} subscribers over ${ACCOUNTS} accounts, ${RATE_PER_SECOND} webhooks/s for ${SECONDS} s, node ${process.version}\n`,
  );
  console.log(
    '| setup | clicks | deliveries expected | delivered | lost | answer→delivery p50 ms | p99 ms | send→delivery p50 ms | p99 ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.setup} | ${r.clicks} | ${r.expected} | ${r.delivered} | ${r.expected - r.delivered} | ${r.answerP50.toFixed(2)} | ${r.answerP99.toFixed(2)} | ${r.sendP50.toFixed(2)} | ${r.sendP99.toFixed(2)} |`,
    );
  }
  console.log(
    `| baseline: bare Redis PUBLISH→message | 500 | | | | | | ${baseline.p50.toFixed(2)} | ${baseline.p99.toFixed(2)} |`,
  );
}

await main();
