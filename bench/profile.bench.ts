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
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
const PRELOAD = fileURLToPath(new URL('./support/cpu-profile-preload.js', import.meta.url));

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string };
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
        ? node.callFrame.url.replace(/^.*\/dist\//, '')
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
}

async function profileOf(kind: ServerKind, dir: string): Promise<Run> {
  const out = join(dir, `${kind}.cpuprofile`);
  process.env.BENCH_PROFILE_OUT = out;
  const database = await freshDatabase('sqlite');
  const target = await startTarget(kind, database.url, {
    nodeArgs: [`--import=${PRELOAD}`],
    checkout: COMPARE,
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
    const kinds: ServerKind[] = ['floor', 'project', ...(COMPARE ? ['baseline' as const] : [])];
    for (const kind of kinds) {
      runs.push(await profileOf(kind, dir));
      console.error(`${kind}: ${(runs.at(-1)!.answered / SECONDS).toFixed(0)} req/s`);
    }
    console.log(
      `\nCPU time per ${SCENARIO.name} webhook, SQLite, ${SCENARIO.connections} connections, ${SECONDS} s each, node ${process.version}\n`,
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
      const project = runs.find((r) => r.kind === 'project')!;
      const costliest = [...project.files].sort((a, b) => b[1] - a[1]).slice(0, files);
      console.log(
        `\n| the module's code, µs per request | ${runs.map((r) => r.kind).join(' | ')} |`,
      );
      console.log(`| --- | ${runs.map(() => '---:').join(' | ')} |`);
      for (const [file] of costliest) {
        row(file, (r) => ((r.files.get(file) ?? 0) / r.answered).toFixed(2));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
