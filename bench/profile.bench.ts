/**
 * Where a single-action webhook's time goes: the floor server and the project's server, each
 * under the ingest benchmark's load (32 connections, SQLite) with V8's CPU profiler running for
 * the measured seconds only (a sample every 100 µs). Prints the server's CPU time per answered
 * request by kind of work. V8 counts built-ins such as `JSON.parse` in the function that calls
 * them.
 *
 *   npm run bench:profile
 *   BENCH_PIN=1 taskset -c 1 npm run bench:profile   # servers on CPU 0, load generator on CPU 1
 *   BENCH_COMPARE=../old npm run bench:profile       # and another built checkout ("baseline")
 *   BENCH_ACTIONS=1000 npm run bench:profile         # 1000-action deliveries (8 connections)
 *   BENCH_FILES=15 npm run bench:profile             # and the module's 15 costliest files
 *   BENCH_FILES=15 BENCH_BY=function npm run …       # its 15 costliest functions instead
 *   BENCH_DATABASE=postgres npm run bench:profile    # on PostgreSQL (the server's CPU only)
 *   BENCH_FORWARD=1 npm run bench:profile            # and the project forwarding to NATS JetStream
 *   BENCH_STATEMENTS=10 npm run bench:profile        # and the SQLite time of 10 callers
 *   BENCH_KEEP=1 npm run bench:profile               # keeps the .cpuprofile files (DevTools)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsProcess } from './support/nats-process.js';
import {
  freshDatabase,
  load,
  SCENARIOS,
  type ServerKind,
  startTarget,
} from './support/ingest-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const COMPARE = process.env.BENCH_COMPARE;
const SCENARIO =
  SCENARIOS.find((s) => s.actions === Number(process.env.BENCH_ACTIONS ?? 1)) ?? SCENARIOS[0]!;
const DATABASE = process.env.BENCH_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const BY_FUNCTION = process.env.BENCH_BY === 'function';
const PRELOAD = fileURLToPath(new URL('./support/cpu-profile-preload.js', import.meta.url));

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber?: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

const KINDS = [
  'SQLite statements (native)',
  'socket writes (native)',
  'other native code',
  'Node: HTTP, streams, events',
  'Fastify',
  'Nest',
  'other packages',
  "the module's code",
  "the floor's code",
  'garbage collector',
  'V8, other',
  'idle',
] as const;
type Kind = (typeof KINDS)[number];

function kindOf({ functionName, url }: { functionName: string; url: string }): Kind {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(root)') return 'V8, other';
  if (url === '') {
    if (['run', 'get', 'all', 'iterate', 'exec'].includes(functionName)) {
      return 'SQLite statements (native)';
    }
    if (/^write(v|Buffer|Utf8String|Latin1String)$/.test(functionName)) {
      return 'socket writes (native)';
    }
    return 'other native code';
  }
  if (url.startsWith('node:')) return 'Node: HTTP, streams, events';
  if (/node_modules\/(fastify|find-my-way|@fastify|avvio|light-my-request)\//.test(url)) {
    return 'Fastify';
  }
  if (url.includes('node_modules/@nestjs/')) return 'Nest';
  if (url.includes('node_modules/')) return 'other packages';
  if (url.includes('/dist/bench/')) return "the floor's code";
  return "the module's code";
}

/** Microseconds of CPU profile in each of the module's files (by path below dist/). */
function moduleFiles(profile: CpuProfile): Map<string, number> {
  const fileById = new Map(
    profile.nodes.map((node) => [
      node.id,
      kindOf(node.callFrame) === "the module's code"
        ? node.callFrame.url.replace(/^.*\/dist\//, '') +
          (BY_FUNCTION
            ? `:${(node.callFrame.lineNumber ?? 0) + 1} ${node.callFrame.functionName || '(anonymous)'}`
            : '')
        : null,
    ]),
  );
  const micros = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const file = fileById.get(id);
    if (file) micros.set(file, (micros.get(file) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return micros;
}

/**
 * Microseconds of SQLite statements by the module's (or the floor's) function that ran them:
 * `file:line function`, the nearest caller of the native statement that is not a package's.
 */
function statementCallers(profile: CpuProfile): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const callerOf = new Map<number, string>();
  const caller = (id: number): string => {
    let cached = callerOf.get(id);
    if (cached !== undefined) return cached;
    cached = '(none)';
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      const kind = kindOf({ functionName, url });
      if (kind === "the module's code" || kind === "the floor's code") {
        cached = `${url.replace(/^.*\/dist\//, '')}:${(lineNumber ?? 0) + 1} ${functionName || '(anonymous)'}`;
        break;
      }
    }
    callerOf.set(id, cached);
    return cached;
  };
  const micros = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (kindOf(byId.get(id)!.callFrame) !== 'SQLite statements (native)') return;
    const key = caller(id);
    micros.set(key, (micros.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return micros;
}

/** Microseconds of CPU profile per kind of work. */
function breakdown(profile: CpuProfile): Map<Kind, number> {
  const kindById = new Map(profile.nodes.map((node) => [node.id, kindOf(node.callFrame)]));
  const micros = new Map<Kind, number>(KINDS.map((kind) => [kind, 0]));
  profile.samples.forEach((id, i) => {
    const kind = kindById.get(id)!;
    micros.set(kind, micros.get(kind)! + (profile.timeDeltas[i] ?? 0));
  });
  return micros;
}

interface Run {
  kind: ServerKind;
  answered: number;
  p99: number;
  micros: Map<Kind, number>;
  files: Map<string, number>;
  statements: Map<string, number>;
}

async function profileOf(kind: ServerKind, dir: string, forwardUrl?: string): Promise<Run> {
  const out = join(dir, `${kind}.cpuprofile`);
  process.env.BENCH_PROFILE_OUT = out;
  const database = await freshDatabase(DATABASE);
  const target = await startTarget(kind, database.url, {
    nodeArgs: [`--import=${PRELOAD}`],
    checkout: COMPARE,
    forwardUrl,
  });
  try {
    const scenario = SCENARIO;
    await load(target.url, scenario, { amount: scenario.actions > 1 ? 50 : 2000 }); // warm-up
    process.kill(target.pid, 'SIGWINCH');
    const result = await load(target.url, scenario, { duration: SECONDS });
    process.kill(target.pid, 'SIGWINCH');
    for (let i = 0; !existsSync(out); i++) {
      if (i > 100) throw new Error(`${kind}: no profile was written`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // the write is one call; let it end
    const answered = result.requests.total - result.non2xx;
    const profile = JSON.parse(readFileSync(out, 'utf8')) as CpuProfile;
    return {
      kind,
      answered,
      p99: result.latency.p99,
      micros: breakdown(profile),
      files: moduleFiles(profile),
      statements: statementCallers(profile),
    };
  } finally {
    await target.stop();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clicks-profile-'));
  try {
    const runs: Run[] = [];
    const kinds: ServerKind[] = [
      'floor',
      'project',
      ...(process.env.BENCH_FORWARD === '1' ? ['forwarding' as const] : []),
      ...(COMPARE ? ['baseline' as const] : []),
    ];
    for (const kind of kinds) {
      const nats = kind === 'forwarding' ? await NatsProcess.started() : null;
      try {
        runs.push(await profileOf(kind, dir, nats?.url));
      } finally {
        await nats?.dispose();
      }
      console.error(`${kind}: ${(runs.at(-1)!.answered / SECONDS).toFixed(0)} req/s`);
    }
    console.log(
      `\nCPU time per ${SCENARIO.name} webhook, ${DATABASE === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${SCENARIO.connections} connections, ${SECONDS} s each, node ${process.version}\n`,
    );
    console.log(`| µs per request | ${runs.map((r) => r.kind).join(' | ')} |`);
    console.log(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
    const row = (label: string, cell: (run: Run) => string) =>
      console.log(`| ${label} | ${runs.map(cell).join(' | ')} |`);
    row('requests answered per second', (r) => (r.answered / SECONDS).toFixed(0));
    row('p99 ms', (r) => String(r.p99));
    row('**everything**', (r) =>
      ([...r.micros.values()].reduce((a, b) => a + b, 0) / r.answered).toFixed(1),
    );
    for (const kind of KINDS) row(kind, (r) => (r.micros.get(kind)! / r.answered).toFixed(1));
    const files = Number(process.env.BENCH_FILES ?? 0);
    if (files > 0) {
      // By the costliest run of each (per request): what only forwarding runs is listed too.
      const cost = new Map<string, number>();
      for (const run of runs.filter((r) => r.kind !== 'floor')) {
        for (const [file, micros] of run.files) {
          cost.set(file, Math.max(cost.get(file) ?? 0, micros / run.answered));
        }
      }
      const costliest = [...cost].sort((a, b) => b[1] - a[1]).slice(0, files);
      console.log(
        `\n| the module's code, µs per request | ${runs.map((r) => r.kind).join(' | ')} |`,
      );
      console.log(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
      for (const [file] of costliest) {
        row(file, (r) => ((r.files.get(file) ?? 0) / r.answered).toFixed(2));
      }
    }
    const callers = Number(process.env.BENCH_STATEMENTS ?? 0);
    for (const run of callers > 0 ? runs : []) {
      console.log(`\n| SQLite statements of the ${run.kind}, by caller | µs per request |`);
      console.log('| --- | ---: |');
      const costliest = [...run.statements].sort((a, b) => b[1] - a[1]).slice(0, callers);
      for (const [caller, micros] of costliest) {
        console.log(`| ${caller} | ${(micros / run.answered).toFixed(1)} |`);
      }
    }
  } finally {
    if (process.env.BENCH_KEEP === '1') console.error(`profiles kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
