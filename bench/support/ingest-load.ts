/**
 * What the ingest benchmarks share: Meta-shaped signed deliveries of unique clicks, the load
 * generator (autocannon over keep-alive connections), the servers under test (the project's
 * standalone server, an earlier checkout's, the floor) and an empty click store.
 */
import autocannon from 'autocannon';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../server/server-config.js';
import { signatureFor } from '../../src/webhook/webhook-signature.js';
import { freePort, scratchDatabase, spawnNode, startServerProcess } from './harness.js';

export const SECRET = 'bench-secret';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Scenario {
  name: string;
  actions: number;
  connections: number;
  /** Every delivery to this account; otherwise one of 20 in turn. */
  account?: string;
}

export const SCENARIOS: Scenario[] = [
  { name: '1 action', actions: 1, connections: 32 },
  { name: '1000 actions', actions: 1000, connections: 8 },
];

/**
 * The project, the project forwarding every click to NATS JetStream (`forwarding`), the project
 * archiving every delivery (`archiving`, CLICKS_ARCHIVE=true), an earlier checkout of it
 * (`baseline`) and that checkout forwarding (`baseline forwarding`), or the floor server.
 */
export type ServerKind =
  'floor' | 'project' | 'forwarding' | 'archiving' | 'baseline' | 'baseline forwarding';

export interface Target {
  kind: ServerKind;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Node's own flags for the server process. */
  nodeArgs?: string[];
  /** For `baseline`: the other checkout, built. */
  checkout?: string;
  /** For `forwarding`: the broker (CLICKS_FORWARD_URL). */
  forwardUrl?: string;
  /** More environment for the server (NODE_ENV is `development` unless given here). */
  env?: Record<string, string>;
}

let sequence = 0;
let databases = 0;
const started = Math.floor(Date.now() / 1000);

/** A Meta-shaped delivery of `actions` new clicks, and its signature. */
function delivery(actions: number, account?: string): { body: string; signature: string } {
  const items: string[] = [];
  for (let i = 0; i < actions; i++) {
    const n = sequence++;
    items.push(
      `{"action_type":"marketing_messages_link_click","timestamp":"${started}","marketing_messages_link_click_data":{"click_component":"${n % 3 === 0 ? 'body' : 'cta'}","product_id":"sku_${n % 50}","click_id":"bench-${process.pid}-${n}","tracking_token":"token"}}`,
    );
  }
  const body =
    `{"object":"whatsapp_business_account","entry":[{"id":"${account ?? `waba-${sequence % 20}`}","changes":[{"value":` +
    `{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},` +
    `"user_actions":[${items.join(',')}]},"field":"messages"}]}]}`;
  return { body, signature: signatureFor(body, SECRET) };
}

/**
 * Signed webhooks of new clicks at `url`, for a duration (s) or an amount of requests; as fast as
 * the server answers, or at `overallRate` requests per second.
 */
export function load(
  url: string,
  scenario: Scenario,
  limit: ({ duration: number } | { amount: number }) & { overallRate?: number },
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/webhooks/whatsapp`,
        connections: scenario.connections,
        ...limit,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const { body, signature } = delivery(scenario.actions, scenario.account);
              return {
                ...request,
                body,
                headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
              };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error as Error) : resolve(result)),
    );
  });
}

async function startFloor(databaseUrl: string, options: StartOptions): Promise<Target> {
  const port = await freePort();
  const child = spawnNode(
    [...(options.nodeArgs ?? []), 'dist/bench/floor-server.js', String(port), databaseUrl, SECRET],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      break;
    } catch {
      if (i > 200) throw new Error('the floor server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    kind: 'floor',
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A server under test on the database at `databaseUrl`, in a child process. */
/** The built standalone server of a checkout: in server/ since 0.2.0, in src/server/ before. */
function serverScriptOf(checkout: string): string {
  const current = join(checkout, 'dist/server/main.js');
  return existsSync(current) ? current : join(checkout, 'dist/src/server/main.js');
}

export async function startTarget(
  kind: ServerKind,
  databaseUrl: string,
  options: StartOptions = {},
): Promise<Target> {
  if (kind === 'floor') return startFloor(databaseUrl, options);
  const baseline = kind === 'baseline' || kind === 'baseline forwarding';
  const forwarding = kind === 'forwarding' || kind === 'baseline forwarding';
  if (baseline && !options.checkout) throw new Error('baseline needs a checkout');
  if (forwarding && !options.forwardUrl) throw new Error('forwarding needs a broker');
  const server = await startServerProcess(
    {
      DATABASE_URL: databaseUrl,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'bench',
      ...(forwarding ? { CLICKS_FORWARD_URL: options.forwardUrl! } : {}),
      ...(kind === 'archiving' ? { CLICKS_ARCHIVE: 'true' } : {}),
      ...options.env,
    },
    baseline ? serverScriptOf(options.checkout!) : undefined,
    options.nodeArgs,
  );
  return { kind, url: server.url, pid: server.child.pid!, stop: () => server.stop() };
}

/**
 * An empty database for an earlier checkout: its server runs its own migrations at start, so it
 * runs on the schema it was built for (this build's may have dropped an index it reads by).
 */
export async function emptyDatabase(
  kind: 'sqlite' | 'postgres',
): Promise<{ url: string; drop(): Promise<void> }> {
  return scratchDatabase(kind, `clicks_ingest_${process.pid}_${databases++}`, PG_URL);
}

/** An empty click store for one database kind, with the project's schema. */
export async function freshDatabase(
  kind: 'sqlite' | 'postgres',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `clicks_ingest_${process.pid}_${databases++}`;
  const database = await scratchDatabase(kind, name, PG_URL);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  return database;
}
