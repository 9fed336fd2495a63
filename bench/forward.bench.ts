/**
 * Forwarding benchmark: the standalone server (child process) forwarding to a nats-server of the
 * run's own, on SQLite and on PostgreSQL.
 *
 * 1. Lag: single-action webhooks at a fixed rate (default 2,000/s for 10 s); a core NATS
 *    subscriber on `whatsapp.clicks.>` takes each message's arrival time minus its `receivedAt`
 *    (when the webhook was read, before the commit): an upper bound of commit-to-broker lag.
 * 2. Backlog: with the broker down, 100,000 clicks are stored (single-action webhooks: on
 *    PostgreSQL one outbox row each, the slowest shape to drain); then the broker starts, and the
 *    time until the stream holds the last click is measured (its own first and last message
 *    times), from the broker's start (reconnect included) and from the first click forwarded
 *    (the drain rate itself).
 *
 *   npm run bench:forward            # both databases
 *   npm run bench:forward -- sqlite  # one
 *   BENCH_RATE=4000 BENCH_BACKLOG=50000 npm run bench:forward
 *   BENCH_LAG=0 npm run bench:forward -- postgres   # the backlog alone
 *
 * 3. Per message: the NATS sink alone sends 100,000 clicks in batches of 1,000 to a nats-server of
 *    its own, and the CPU time of this process and of the nats-server is taken per message: what
 *    forwarding costs on the machine at least, whatever the database.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ForwardedClick } from '../src/forward/click-sink.js';
import { NatsJetStreamSink } from '../src/forward/nats-jetstream.sink.js';
import { percentile } from './support/harness.js';
import { freshDatabase, load, SCENARIOS, startTarget } from './support/ingest-load.js';
import { NatsProcess } from './support/nats-process.js';

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
/** `BENCH_LAG=0` measures the backlog alone. */
const LAG = process.env.BENCH_LAG !== '0';
const STREAM = 'WHATSAPP_CLICKS';
const single = SCENARIOS.find((scenario) => scenario.actions === 1)!;

/** Subscribes before the server forwards anything; the stream as the server would create it. */
async function listen(url: string, onClick: (receivedAt: number, now: number) => void) {
  const nc: NatsConnection = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['whatsapp.clicks.>'] });
  const subscription = nc.subscribe('whatsapp.clicks.>');
  void (async () => {
    for await (const message of subscription) {
      const { receivedAt } = message.json<{ receivedAt: string }>();
      onClick(Date.parse(receivedAt), Date.now());
    }
  })();
  return nc;
}

interface Lag {
  database: string;
  sent: number;
  forwarded: number;
  p50: number;
  p99: number;
  max: number;
}

async function lag(kind: 'sqlite' | 'postgres'): Promise<Lag> {
  const database = await freshDatabase(kind);
  const nats = await NatsProcess.create();
  await nats.start();
  const lags: number[] = [];
  const nc = await listen(nats.url, (receivedAt, now) => lags.push(now - receivedAt));
  const server = await startTarget('forwarding', database.url, { forwardUrl: nats.url });
  try {
    const result = await load(server.url, single, { duration: SECONDS, overallRate: RATE });
    const sent = result.requests.total - result.non2xx;
    for (let i = 0; i < 100 && lags.length < sent; i++) await sleep(100);
    const sorted = [...lags].sort((a, b) => a - b);
    return {
      database: kind,
      sent,
      forwarded: lags.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
    };
  } finally {
    await server.stop();
    await nc.close();
    await nats.dispose();
    await database.drop();
  }
}

interface Backlog {
  database: string;
  stored: number;
  firstMs: number;
  lastMs: number;
}

async function backlog(kind: 'sqlite' | 'postgres'): Promise<Backlog> {
  const database = await freshDatabase(kind);
  const nats = await NatsProcess.create(); // not started: the broker is down
  const server = await startTarget('forwarding', database.url, { forwardUrl: nats.url });
  try {
    const result = await load(server.url, single, { amount: BACKLOG });
    const stored = result.requests.total - result.non2xx;
    if (stored !== BACKLOG) throw new Error(`${BACKLOG - stored} webhooks not stored`);
    await nats.start();
    const started = Date.now();
    // The stream's own state, not a subscriber: the server may forward before one is on.
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      for (;;) {
        const state = await jsm.streams
          .info(STREAM)
          .then((info) => info.state)
          .catch(() => null); // not created yet
        if (state && state.messages >= stored) {
          const firstMs = Date.parse(state.first_ts) - started;
          const lastMs = Date.parse(state.last_ts) - started;
          return { database: kind, stored: state.messages, firstMs, lastMs };
        }
        if (Date.now() - started > 300_000) {
          throw new Error(`only ${state?.messages ?? 0} of ${stored} in 300 s`);
        }
        await sleep(50);
      }
    } finally {
      await nc.close();
    }
  } finally {
    await server.stop();
    await nats.dispose();
    await database.drop();
  }
}

interface PerMessage {
  messagesPerSecond: number;
  clientUs: number;
  brokerUs: number;
}

/** The sink's own cost per message, and the broker's, with no server or database around. */
async function perMessage(): Promise<PerMessage> {
  const nats = await NatsProcess.started();
  const sink = new NatsJetStreamSink(nats.url);
  let id = 0;
  const batch = (): ForwardedClick[] =>
    Array.from({ length: 1000 }, () => ({
      id: String(++id),
      businessAccountId: '102290129340398',
      phoneNumberId: '106540352242922',
      displayPhoneNumber: '15550783881',
      actionType: 'marketing_messages_link_click',
      clickComponent: 'CTA',
      clickId: `ABGGFlA5FpafAgo6EhYCxwwGdBQlMXk1eXBwX${id}`,
      productId: null,
      trackingToken: 'campaign-1',
      occurredAt: '2026-12-03T10:00:00.000Z',
      receivedAt: '2026-12-03T10:00:01.000Z',
    }));
  try {
    await sink.send(batch()); // connects, creates the stream
    const batches = Array.from({ length: 100 }, batch);
    const broker = nats.cpuMs();
    const client = process.cpuUsage();
    const started = performance.now();
    for (const clicks of batches) await sink.send(clicks);
    const ms = performance.now() - started;
    const used = process.cpuUsage(client);
    const messages = batches.length * 1000;
    return {
      messagesPerSecond: (messages / ms) * 1000,
      clientUs: (used.user + used.system) / messages,
      brokerUs: ((nats.cpuMs() - broker) * 1000) / messages,
    };
  } finally {
    await sink.close();
    await nats.dispose();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const only = process.argv[2];
  const kinds = (['sqlite', 'postgres'] as const).filter((kind) => !only || kind === only);
  const lags: Lag[] = [];
  const backlogs: Backlog[] = [];
  const sink = await perMessage();
  for (const kind of kinds) {
    if (LAG) {
      lags.push(await lag(kind));
      console.error(`lag ${kind} done`);
    }
    backlogs.push(await backlog(kind));
    console.error(`backlog ${kind} done`);
  }
  if (LAG) {
    console.log(
      `\nForwarding lag: single-action webhooks at ${RATE}/s for ${SECONDS} s, webhook read -> NATS subscriber (ms), node ${process.version}\n`,
    );
    console.log('| database | clicks acknowledged | forwarded | p50 ms | p99 ms | max ms |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const l of lags) {
      console.log(
        `| ${l.database} | ${l.sent} | ${l.forwarded} | ${l.p50} | ${l.p99} | ${l.max} |`,
      );
    }
  }
  console.log(
    `\nBacklog: ${BACKLOG} clicks stored while the broker was down, then the broker starts\n`,
  );
  console.log(
    '| database | clicks | first forwarded after ms | last after ms | clicks/s from broker start | clicks/s from first |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const b of backlogs) {
    const fromStart = (b.stored / b.lastMs) * 1000;
    const fromFirst = (b.stored / Math.max(1, b.lastMs - b.firstMs)) * 1000;
    console.log(
      `| ${b.database} | ${b.stored} | ${b.firstMs} | ${b.lastMs} | ${fromStart.toFixed(0)} | ${fromFirst.toFixed(0)} |`,
    );
  }
  console.log(`\nPer message: the NATS sink alone, 100,000 clicks in batches of 1,000\n`);
  console.log('| messages/s | sink CPU µs per message | nats-server CPU µs per message |');
  console.log('| ---: | ---: | ---: |');
  console.log(
    `| ${sink.messagesPerSecond.toFixed(0)} | ${sink.clientUs.toFixed(1)} | ${sink.brokerUs.toFixed(1)} |`,
  );
}

await main();
