// The package as hosts install it: npm pack, installed from the registry into each app of
// examples/ in a folder outside the repo, built with the app's own tsc, run, and driven over
// real HTTP and graphql-ws. Nothing here may come from the repo's own node_modules.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { PG_ADMIN_URL, postgresProblem } from '../support/databases.js';
import { subscribe, wsClient } from '../support/subscriptions.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';
import { type PreparedHost, prepareHost, run, type RunningHost, startHost } from './packed-host.js';

const INSTALL_AND_BUILD = 10 * 60_000;
const SECRETS = { WHATSAPP_APP_SECRET: TEST_APP_SECRET, WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN };

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return json(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function installed(host: PreparedHost, name: string): boolean {
  return existsSync(join(host.dir, 'node_modules', name, 'package.json'));
}

describe('packed: ESM host on Express with its own GraphQLModule and graphql: true (SQLite)', () => {
  let host: PreparedHost;
  let app: RunningHost;
  const API_TOKEN = 'host-api-token';

  beforeAll(async () => {
    host = await prepareHost('esm-express-graphql');
    app = await startHost(host, {
      ...SECRETS,
      API_TOKEN,
      DATABASE_FILE: join(host.dir, 'clicks.sqlite'),
    });
  }, INSTALL_AND_BUILD);
  afterAll(() => host?.dispose());

  it('answers the handshake, stores a signed click and refuses a wrong signature', async () => {
    const handshake = await fetch(
      `${app.base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=c-42`,
    );
    expect([handshake.status, await handshake.text()]).toEqual([200, 'c-42']);

    const delivery = sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'esm-1' })] });
    const stored = await postWebhook(`${app.base}/webhooks/whatsapp`, delivery);
    expect(stored).toMatchObject({ status: 200, json: { stored: 1, duplicates: 0 } });
    const forged = await postWebhook(`${app.base}/webhooks/whatsapp`, delivery, {
      secret: 'wrong',
    });
    expect(forged.status).toBe(401);
  });

  it("runs the host's @OnClickEvent() handler", async () => {
    const log = await eventually(
      () => json(`${app.base}/click-log`),
      ({ body }) => body.includes('esm-1'),
    );
    expect(log.body).toEqual(['esm-1']);
  });

  it("parses the host's own JSON routes as before: a body, and 400 on malformed JSON", async () => {
    expect(await postJson(`${app.base}/notes`, '{"text":"héllo"}')).toEqual({
      status: 201,
      body: { received: 'héllo' },
    });
    expect((await postJson(`${app.base}/notes`, '{"text":')).status).toBe(400);
  });

  it("serves the module's queries and the host's own in one schema, behind the host's authorize", async () => {
    const query = JSON.stringify({
      query: `{ hello clickEvents(businessAccountId: "102290129340398") { totalCount edges { node { clickId } } } }`,
    });
    const answer = await postJson(`${app.base}/graphql`, query, {
      authorization: `Bearer ${API_TOKEN}`,
    });
    expect(answer.body).toEqual({
      data: {
        hello: 'hello from the host',
        clickEvents: { totalCount: 1, edges: [{ node: { clickId: 'esm-1' } }] },
      },
    });
    const anonymous = await postJson(`${app.base}/graphql`, query);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('serves the offline IDE (ide: true) from the packages the host installed', async () => {
    const page = await fetch(`${app.base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/graphiql/graphiql.min.js');
    expect(html).not.toMatch(/https?:\/\/(?!localhost)/); // nothing from a CDN
    for (const file of ['graphiql.min.js', 'graphiql.min.css', 'react.production.min.js']) {
      const asset = await fetch(`${app.base}/graphiql/${file}`);
      expect([file, asset.status, (await asset.arrayBuffer()).byteLength > 1000]).toEqual([
        file,
        200,
        true,
      ]);
    }
  });

  it('serves the live dashboard (dashboardPath) from this package and the ones the host installed', async () => {
    const page = await fetch(`${app.base}/dashboard`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/dashboard/dashboard.js');
    expect(html).toContain('data-graphql="/graphql"');
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    const files = [
      'dashboard.js',
      'dashboard-view.js',
      'dashboard.css',
      'uPlot.iife.min.js',
      'uPlot.min.css',
      'graphql-ws.min.js',
    ];
    for (const file of files) {
      const asset = await fetch(`${app.base}/dashboard/${file}`);
      expect([file, asset.status, (await asset.arrayBuffer()).byteLength > 1000]).toEqual([
        file,
        200,
        true,
      ]);
    }
    expect((await fetch(`${app.base}/dashboard/package.json`)).status).toBe(404);
  });

  it('streams a new click to a graphql-ws subscriber in the host schema', async () => {
    const client = wsClient(app.base.replace(/^http/, 'ws') + '/graphql', API_TOKEN);
    const subscriber = subscribe(client, { account: '102290129340398' });
    try {
      // The subscription is registered once the server has acknowledged it; then a click.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const delivery = sampleClickDelivery({
        actions: [sampleClickAction({ click_id: 'esm-live' })],
      });
      expect((await postWebhook(`${app.base}/webhooks/whatsapp`, delivery)).status).toBe(200);
      const events = await eventually(
        async () => subscriber.events,
        (seen) => seen.length > 0,
      );
      expect(subscriber.errors).toEqual([]);
      expect(events.map((event) => event.clickId)).toEqual(['esm-live']);
    } finally {
      subscriber.stop();
      await client.dispose();
    }
  });

  it('ends on SIGTERM without an error', async () => {
    expect(await app.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app.output()).not.toMatch(/Error|unhandled/i);
    // WAL on: clickEvents above ran on a scan worker of the installed package, not the loop.
    expect(app.output()).not.toMatch(/scans run on the event loop|not in WAL mode/);
  });
});

describe('packed: CommonJS host on Fastify without @nestjs/graphql or graphql installed (SQLite)', () => {
  let host: PreparedHost;
  let app: RunningHost;

  beforeAll(async () => {
    host = await prepareHost('cjs-fastify');
    app = await startHost(host, { ...SECRETS, DATABASE_FILE: join(host.dir, 'clicks.sqlite') });
  }, INSTALL_AND_BUILD);
  afterAll(() => host?.dispose());

  it('has no GraphQL package in its node_modules, and compiles to CommonJS', () => {
    for (const name of ['graphql', '@nestjs/graphql', 'graphql-subscriptions', 'ioredis']) {
      expect(installed(host, name), name).toBe(false);
    }
    expect(readFileSync(join(host.dir, 'dist/main.js'), 'utf8')).toContain(
      'require("@nestjs/core")',
    );
  });

  it('stores a signed click sent with the /testing helpers, and runs its handler', async () => {
    const sent = await run(
      process.execPath,
      ['dist/send-sample.js', `${app.base}/webhooks/whatsapp`],
      {
        cwd: host.dir,
        env: { ...process.env, ...SECRETS },
      },
    );
    expect(sent).toContain('200');
    expect(JSON.parse(sent.slice(sent.indexOf('{')))).toMatchObject({ stored: 1 });
    const seen = await eventually(
      () => json(`${app.base}/clicks-seen`),
      ({ body }) => body.count > 0,
    );
    expect(seen.body).toEqual({ count: 1 });
    const forged = await postWebhook(
      `${app.base}/webhooks/whatsapp`,
      sampleClickDelivery({ actions: [sampleClickAction()] }),
      { secret: 'wrong' },
    );
    expect(forged.status).toBe(401);
  });

  it('refuses to start with graphql: true, naming every package to install', async () => {
    // The same host, turning GraphQL on without installing it.
    writeFileSync(
      join(host.dir, 'dist', 'graphql-on.js'),
      `require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const clicks = require('nestjs-whatsapp-clicks');
class App {}
Module({ imports: [
  TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [clicks.ClickEvent, clicks.RejectedDelivery], migrations: clicks.whatsAppClicksMigrations, migrationsRun: true }),
  clicks.WhatsAppClicksModule.forRoot({ appSecret: 's', verifyToken: 't', authorize: () => true, graphql: true }),
] })(App);
NestFactory.createApplicationContext(App, { logger: false, abortOnError: false }).then(
  () => process.exit(0),
  (error) => { console.log(error.name + ': ' + error.message); process.exit(3); },
);
`,
    );
    const failure = await run(process.execPath, ['dist/graphql-on.js'], { cwd: host.dir }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(failure).toContain('exited with 3');
    expect(failure).toContain(
      'WhatsAppClicksConfigError: WhatsAppClicksModule: graphql: true needs @nestjs/graphql, @nestjs/apollo, graphql, graphql-subscriptions, graphql-query-complexity, not installed: npm install @nestjs/graphql @nestjs/apollo graphql graphql-subscriptions graphql-query-complexity',
    );
  });

  it("keeps Fastify's own JSON parsing on the host's routes", async () => {
    expect(await postJson(`${app.base}/echo`, '{"a":[1,"ü"]}')).toEqual({
      status: 201,
      body: { a: [1, 'ü'] },
    });
    // Fastify's parser refuses prototype poisoning and an empty JSON body with 400.
    expect((await postJson(`${app.base}/echo`, '{"__proto__":{"admin":true}}')).status).toBe(400);
    expect((await postJson(`${app.base}/echo`, '')).status).toBe(400);
  });

  it('ends on SIGTERM without an error', async () => {
    expect(await app.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    expect(app.output()).not.toMatch(/Error|unhandled/i);
  });
});

const pgProblem = await postgresProblem();
if (pgProblem && process.env.CI === 'true') throw new Error(`${pgProblem}. CI must run it.`);
if (pgProblem) console.warn(`\n!!! SKIPPING the packed PostgreSQL host: ${pgProblem}\n`);

describe.skipIf(pgProblem !== null)(
  'packed: PostgreSQL host with ConfigModule, forRootAsync and its own migrations',
  () => {
    let host: PreparedHost;
    let app: RunningHost;
    const database = `clicks_packed_${process.pid}_${Date.now()}`;

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${database}"`);
      await admin.end();
      host = await prepareHost('postgres-config');
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${database}`;
      app = await startHost(host, { ...SECRETS, DATABASE_URL: url.toString() });
    }, INSTALL_AND_BUILD);
    afterAll(async () => {
      await app?.stop('SIGKILL');
      host?.dispose();
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    });

    it("ran the module's migrations and the host's own, in one migrations table", async () => {
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(
          'SELECT name FROM migrations ORDER BY id',
        );
        expect(rows.map((row) => row.name)).toContain('CreateOrders1764000000000');
        expect(rows.length).toBeGreaterThan(1);
      } finally {
        await client.end();
      }
    });

    it('stores a signed click (Express rawBody: true) and links the host order to it', async () => {
      const delivery = sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'pg-1' })] });
      expect((await postWebhook(`${app.base}/webhooks/whatsapp`, delivery)).json).toMatchObject({
        stored: 1,
      });
      const order = await postJson(`${app.base}/orders`, '{"clickId":"pg-1","cents":1999}');
      expect(order.status).toBe(201);
      const found = await json(`${app.base}/orders/${order.body.id}`);
      expect(found.body.click).toMatchObject({
        clickId: 'pg-1',
        businessAccountId: '102290129340398',
      });
    });

    it('ends on SIGTERM without an error', async () => {
      expect(await app.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
      expect(app.output()).not.toMatch(/Error|unhandled/i);
    });
  },
);
