/**
 * Ingest benchmark: signed webhooks of unique clicks from a load generator (autocannon, keep-alive
 * connections) against the standalone server (`npm start`'s, in a child process) and against the
 * floor server of this folder, alternating in the same run, on SQLite and on PostgreSQL, for
 * single-action and 1000-action deliveries. Then memory: the RSS of each server after a warm-up
 * and after 100,000 more single-action webhooks.
 *
 *   npm run bench                         # everything
 *   npm run bench -- sqlite               # one database
 *   BENCH_PIN=1 taskset -c 1 npm run bench   # servers on CPU 0, load generator on CPU 1
 *   BENCH_COMPARE=../old npm run bench       # also another built checkout ("baseline"), same rounds
 *   BENCH_FORWARD=0 npm run bench            # without the project forwarding to NATS JetStream
 *   BENCH_ARCHIVE=1 npm run bench            # also the project archiving every delivery
 *   BENCH_ROUNDS=4 BENCH_SECONDS=6 npm run bench   # more, shorter rounds
 *
 * "forwarding" is the project with CLICKS_FORWARD_URL set to a nats-server of the run's own
 * (one per forwarding server, fresh per database and scenario). Webhooks never wait for the
 * broker, so a forwarding round also reports how much of its clicks the stream held when the
 * load ended, and how long forwarding took to catch up after it: a rate that forwarding cannot
 * keep up with is not a rate the server sustains.
 */
import { readFileSync } from 'node:fs';
import { NatsProcess } from './support/nats-process.js';
import {
  emptyDatabase,
  freshDatabase,
  load,
  SCENARIOS as ALL_SCENARIOS,
  type ServerKind,
  startTarget,
} from './support/ingest-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const MEMORY_WEBHOOKS = Number(process.env.BENCH_MEMORY_WEBHOOKS ?? 100_000);
/** A checkout of an earlier version, built (`npm ci && npm run build`): what a change bought. */
const COMPARE = process.env.BENCH_COMPARE;
const FORWARD = process.env.BENCH_FORWARD !== '0';
const ARCHIVE = process.env.BENCH_ARCHIVE === '1';
const SERVERS: ServerKind[] = [
  'floor',
  'project',
  ...(FORWARD ? ['forwarding' as const] : []),
  ...(ARCHIVE ? ['archiving' as const] : []),
  ...(COMPARE ? ['baseline' as const] : []),
  ...(COMPARE && FORWARD ? ['baseline forwarding' as const] : []),
];
const SCENARIOS = ALL_SCENARIOS.filter(
  (s) => !process.env.BENCH_SCENARIO || s.name === process.env.BENCH_SCENARIO,
);
/**
 * A broker per forwarding server: the two databases' click ids overlap, and one stream would
 * take the second server's clicks for duplicates (`Nats-Msg-Id`) and store none of them.
 */
const brokers = new Map<ServerKind, NatsProcess>();
const start = (kind: ServerKind, databaseUrl: string) =>
  startTarget(kind, databaseUrl, { checkout: COMPARE, forwardUrl: brokers.get(kind)?.url });
/** How long a round's forwarding may take to catch up after the load, before it is given up. */
const CATCH_UP_LIMIT_MS = 60_000;

interface Measure {
  scenario: string;
  database: string;
  server: string;
  round: number;
  requests: number;
  requestsPerSecond: number;
  actionsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Forwarding: the share of the round's clicks (warm-up included) in the stream at its end. */
  forwardedShare?: number;
  /** Forwarding: from the end of the load until the stream held every click (ms). */
  caughtUpMs?: number;
}

/** Waits until `nats` holds `expected` messages; how long that took (ms), or Infinity. */
async function caughtUp(nats: NatsProcess, expected: number): Promise<number> {
  const started = Date.now();
  while ((await nats.messages()) < expected) {
    if (Date.now() - started > CATCH_UP_LIMIT_MS) return Infinity;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function throughput(kind: 'sqlite' | 'postgres', measures: Measure[]): Promise<void> {
  for (const scenario of SCENARIOS) {
    const database = await freshDatabase(kind);
    // The earlier checkout on a database of its own schema (one for both of its kinds).
    const baselineDatabase = COMPARE ? await emptyDatabase(kind) : database;
    for (const server of SERVERS) {
      if (server === 'forwarding' || server === 'baseline forwarding') {
        brokers.set(server, await NatsProcess.started());
      }
    }
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const server of SERVERS) {
          const baseline = server === 'baseline' || server === 'baseline forwarding';
          const target = await start(server, (baseline ? baselineDatabase : database).url);
          const nats = brokers.get(server);
          try {
            const before = (await nats?.messages()) ?? 0;
            const warmUp = await load(target.url, scenario, {
              amount: scenario.actions === 1 ? 2000 : 20,
            });
            const result = await load(target.url, scenario, { duration: SECONDS });
            const ok = result.requests.total - result.non2xx;
            const clicks = (warmUp.requests.total - warmUp.non2xx + ok) * scenario.actions;
            const forwarded = nats ? (await nats.messages()) - before : 0;
            measures.push({
              scenario: scenario.name,
              database: kind,
              server,
              round,
              requests: result.requests.total,
              requestsPerSecond: ok / SECONDS,
              actionsPerSecond: (ok * scenario.actions) / SECONDS,
              p50: result.latency.p50,
              p99: result.latency.p99,
              non2xx: result.non2xx,
              errors: result.errors,
              ...(nats
                ? {
                    forwardedShare: forwarded / clicks,
                    caughtUpMs: await caughtUp(nats, before + clicks),
                  }
                : {}),
            });
            console.error(
              `${kind} ${scenario.name} ${server} round ${round}: ${(ok / SECONDS).toFixed(0)} req/s, p99 ${result.latency.p99} ms`,
            );
          } finally {
            await target.stop();
          }
        }
      }
    } finally {
      await database.drop();
      if (baselineDatabase !== database) await baselineDatabase.drop();
      for (const nats of brokers.values()) await nats.dispose();
      brokers.clear();
    }
  }
}

interface Memory {
  server: string;
  warm: number;
  after: number;
}

async function memory(measures: Memory[]): Promise<void> {
  const scenario = SCENARIOS[0]!;
  for (const server of ['floor', 'project'] as const) {
    const database = await freshDatabase('sqlite');
    const target = await start(server, database.url);
    try {
      await load(target.url, scenario, { amount: 5000 });
      const warm = rssMb(target.pid);
      const result = await load(target.url, scenario, { amount: MEMORY_WEBHOOKS });
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${server}: ${result.non2xx} non-2xx answers`);
      measures.push({ server, warm, after: rssMb(target.pid) });
    } finally {
      await target.stop();
      await database.drop();
    }
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  const only = process.argv[2];
  const measures: Measure[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (!only || only === kind) await throughput(kind, measures);
  }
  const memories: Memory[] = [];
  if ((!only || only === 'sqlite') && !process.env.BENCH_SCENARIO && MEMORY_WEBHOOKS > 0) {
    await memory(memories);
  }

  console.log(
    `\nIngest: ${SECONDS} s per round, ${SERVERS.join(', ')} alternating, node ${process.version}\n`,
  );
  console.log(
    '| deliveries | database | server | round | req/s | actions/s | p50 ms | p99 ms | non-2xx | errors |',
  );
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of measures) {
    console.log(
      `| ${m.scenario} | ${m.database} | ${m.server} | ${m.round} | ${m.requestsPerSecond.toFixed(0)} | ${m.actionsPerSecond.toFixed(0)} | ${m.p50} | ${m.p99} | ${m.non2xx} | ${m.errors} |`,
    );
  }
  const roundsOf = (scenario: string, database: string, server: ServerKind) =>
    measures.filter(
      (m) => m.scenario === scenario && m.database === database && m.server === server,
    );
  console.log(
    '\n| deliveries | database | project actions/s | floor actions/s | project / floor | project p99 ms |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const scenario of SCENARIOS) {
    for (const kind of ['sqlite', 'postgres']) {
      const of = (server: ServerKind) => roundsOf(scenario.name, kind, server);
      if (of('project').length === 0) continue;
      const project = mean(of('project').map((m) => m.actionsPerSecond));
      const floor = mean(of('floor').map((m) => m.actionsPerSecond));
      const p99 = Math.max(...of('project').map((m) => m.p99));
      console.log(
        `| ${scenario.name} | ${kind} | ${project.toFixed(0)} | ${floor.toFixed(0)} | ${(project / floor).toFixed(2)} | ${p99} |`,
      );
    }
  }
  if (COMPARE || FORWARD) {
    console.log(
      `\nforwarding off (project) and on (forwarding)${COMPARE ? `, against the server of ${COMPARE} (baseline)` : ''}, in the same rounds\n`,
    );
    console.log(
      '| deliveries | database | baseline off actions/s | baseline on actions/s | off actions/s | on actions/s | off / baseline off | on / baseline on | on / off | baseline on / off | on p99 ms | on: forwarded by round end | on: caught up after s | baseline on: forwarded by round end |',
    );
    console.log(
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    const percent = (value: number) =>
      Number.isNaN(value) ? '-' : `${(value * 100).toFixed(0)} %`;
    const cell = (value: number, digits = 0) => (Number.isNaN(value) ? '-' : value.toFixed(digits));
    for (const scenario of SCENARIOS) {
      for (const kind of ['sqlite', 'postgres']) {
        const rate = (server: ServerKind) =>
          mean(roundsOf(scenario.name, kind, server).map((m) => m.actionsPerSecond));
        const [off, on] = [rate('project'), rate('forwarding')];
        const [baseline, baselineOn] = [rate('baseline'), rate('baseline forwarding')];
        if (Number.isNaN(off)) continue;
        const onRounds = roundsOf(scenario.name, kind, 'forwarding');
        const onP99 = Math.max(...onRounds.map((m) => m.p99));
        const share = mean(onRounds.map((m) => m.forwardedShare ?? NaN));
        const baselineShare = mean(
          roundsOf(scenario.name, kind, 'baseline forwarding').map((m) => m.forwardedShare ?? NaN),
        );
        const catchUp = Math.max(...onRounds.map((m) => m.caughtUpMs ?? NaN)) / 1000;
        console.log(
          `| ${scenario.name} | ${kind} | ${cell(baseline)} | ${cell(baselineOn)} | ${cell(off)} | ${cell(on)} | ${cell(off / baseline, 2)} | ${cell(on / baselineOn, 2)} | ${cell(on / off, 2)} | ${cell(baselineOn / baseline, 2)} | ${Number.isFinite(onP99) ? onP99 : '-'} | ${percent(share)} | ${Number.isFinite(catchUp) ? catchUp.toFixed(1) : catchUp === Infinity ? `> ${CATCH_UP_LIMIT_MS / 1000}` : '-'} | ${percent(baselineShare)} |`,
        );
      }
    }
  }
  if (ARCHIVE) {
    console.log('\narchive off (project) and on (archiving), in the same rounds\n');
    console.log('| deliveries | database | off actions/s | on actions/s | on / off | on p99 ms |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const scenario of SCENARIOS) {
      for (const kind of ['sqlite', 'postgres']) {
        const of = (server: ServerKind) => roundsOf(scenario.name, kind, server);
        if (of('archiving').length === 0) continue;
        const off = mean(of('project').map((m) => m.actionsPerSecond));
        const on = mean(of('archiving').map((m) => m.actionsPerSecond));
        const p99 = Math.max(...of('archiving').map((m) => m.p99));
        console.log(
          `| ${scenario.name} | ${kind} | ${off.toFixed(0)} | ${on.toFixed(0)} | ${(on / off).toFixed(2)} | ${p99} |`,
        );
      }
    }
  }
  if (memories.length > 0) {
    console.log(
      `\n| server (SQLite) | RSS after warm-up MB | RSS after ${MEMORY_WEBHOOKS} more webhooks MB | growth MB |`,
    );
    console.log('| --- | ---: | ---: | ---: |');
    for (const m of memories) {
      console.log(
        `| ${m.server} | ${m.warm.toFixed(1)} | ${m.after.toFixed(1)} | ${(m.after - m.warm).toFixed(1)} |`,
      );
    }
  }
}

await main();
