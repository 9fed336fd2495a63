import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/click-payloads.js';
import { signatureFor } from '../../src/webhook/webhook-signature.js';

/** A free TCP port on the loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `node` with `args`, on CPU 0 when BENCH_PIN is set (run the load generator itself on another:
 * `BENCH_PIN=1 taskset -c 1 npm run bench`): on a 2-core machine the server and the generator
 * otherwise fight for the same cores, for the floor and the project alike.
 */
export function spawnNode(args: string[], options: SpawnOptions): ChildProcess {
  return process.env.BENCH_PIN
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

/**
 * The standalone server (`dist/server/main.js`, or that of another built checkout) in a
 * child process, on its own port.
 */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startServerProcess(
  env: Record<string, string>,
  script = 'dist/server/main.js',
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawnNode([...nodeArgs, script], {
    env: { ...process.env, NODE_ENV: 'development', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${output}`);
    try {
      await fetch(`${url}/webhooks/whatsapp`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** An empty database of either kind for one run (a DATABASE_URL), removed by `drop()`. */
export async function scratchDatabase(
  kind: 'sqlite' | 'postgres',
  name: string,
  pgAdminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'postgres') return scratchPostgres(pgAdminUrl, name);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  return {
    url: `sqlite:${join(dir, `${name}.sqlite`)}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh PostgreSQL database for one run, dropped by `drop()`. */
export async function scratchPostgres(adminUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/**
 * Lets timers run after synchronous work (better-sqlite3 blocks the loop), so that an idle
 * keep-alive socket the server closed meanwhile is dropped before the client reuses it.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Percentiles of `runs` timed calls of `fn`, in milliseconds, after a few untimed warm-ups. */
export async function timed(
  runs: number,
  fn: () => unknown,
): Promise<{ p50: number; p95: number; p99: number }> {
  await settle();
  for (let i = 0; i < Math.min(10, runs); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
  };
}

/** POSTs one signed single-click delivery to the webhook at `url`; anything but 200 throws. */
export async function postClick(
  url: string,
  businessAccountId: string,
  clickId: string,
  secret: string,
): Promise<void> {
  const body = Buffer.from(
    JSON.stringify(
      sampleClickDelivery({
        businessAccountId,
        actions: [sampleClickAction({ click_id: clickId })],
      }),
    ),
  );
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signatureFor(body, secret),
    },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
}
