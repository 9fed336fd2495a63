// Mistakes a host makes in its set-up, caught when the app starts with a message that says what
// to add, instead of an app that starts and fails every webhook; and Fastify hosts' own routes.
import {
  Body,
  Controller,
  type DynamicModule,
  type INestApplication,
  Module,
  Post,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClickEvent,
  RejectedDelivery,
  useWhatsAppClicksBodyParser,
  whatsAppClicksMigrations,
  WhatsAppClicksConfigError,
  WhatsAppClicksModule,
} from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

@Controller()
class HostRoutes {
  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }

  /** A route of the host's that ends like the webhook's: parsed as the host's JSON. */
  @Post('admin/webhooks/whatsapp')
  admin(@Body() body: unknown): unknown {
    return { admin: body };
  }
}

interface HostShape {
  entities?: boolean;
  migrations?: boolean;
  graphql?: boolean;
}

function host({
  entities = true,
  migrations = true,
  graphql = false,
}: HostShape = {}): DynamicModule {
  @Module({})
  class Host {}
  return {
    module: Host,
    controllers: [HostRoutes],
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: entities ? [ClickEvent, RejectedDelivery] : [],
        migrations: migrations ? whatsAppClicksMigrations : [],
        migrationsRun: true,
      }),
      EventEmitterModule.forRoot(),
      WhatsAppClicksModule.forRoot({
        appSecret: TEST_APP_SECRET,
        verifyToken: TEST_VERIFY_TOKEN,
        authorize: () => true,
        graphql,
      }),
    ],
  };
}

describe('host mistakes caught at start', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close().catch(() => undefined);
    app = undefined;
  });

  /** Creates the app (Express by default, keeping raw bytes) and initialises it: the error, or null. */
  async function startError(
    shape: HostShape,
    options: { rawBody?: boolean; fastify?: boolean } = { rawBody: true },
  ): Promise<Error | null> {
    const settings = { logger: false as const, abortOnError: false, rawBody: options.rawBody };
    app = options.fastify
      ? await NestFactory.create(host(shape), new FastifyAdapter(), settings)
      : await NestFactory.create(host(shape), settings);
    return app.init().then(
      () => null,
      (error: Error) => error,
    );
  }

  it('Express parsing JSON without the raw bytes: names rawBody and useWhatsAppClicksBodyParser', async () => {
    const error = await startError({}, { rawBody: false });
    expect(error).toBeInstanceOf(WhatsAppClicksConfigError);
    expect(error?.message).toMatch(
      /exact request bytes.*\{ bodyParser: false \}.*useWhatsAppClicksBodyParser\(app\).*\{ rawBody: true \}/,
    );
  });

  it('Fastify without useWhatsAppClicksBodyParser or rawBody: says the same', async () => {
    const error = await startError({}, { fastify: true });
    expect(error?.message).toMatch(/this fastify app parses JSON without keeping them/);
  });

  it('no migrations: names the missing tables and whatsAppClicksMigrations', async () => {
    expect((await startError({ migrations: false }))?.message).toMatch(
      /click_events, rejected_deliveries, click_outbox, click_rollups, click_rollup_backfill, click_funnel_rollups, click_funnel_queue, tracking_events, click_conversions do not exist: add whatsAppClicksMigrations/,
    );
  });

  it('entities left out of the data source: names them', async () => {
    expect((await startError({ entities: false }))?.message).toMatch(
      /does not know ClickEvent and RejectedDelivery: add ClickEvent and RejectedDelivery to its entities \(or set autoLoadEntities: true\)/,
    );
  });

  it('graphql: true without a GraphQLModule: says to import one', async () => {
    expect((await startError({ graphql: true }))?.message).toMatch(
      /graphql: true, but the app has no GraphQLModule: import GraphQLModule.forRoot/,
    );
  });

  it('the same host set up right starts, on Express and on Fastify', async () => {
    expect(await startError({})).toBeNull();
    await app!.close();
    app = await NestFactory.create(host(), new FastifyAdapter(), {
      logger: false,
      bodyParser: false,
    });
    useWhatsAppClicksBodyParser(app);
    await expect(app.init()).resolves.toBeDefined();
  });

  it("a JSON parser it cannot see (the host's own express.json()): 500, the fix in the log only", async () => {
    app = await NestFactory.create(host(), { logger: false, bodyParser: false });
    app.use(express.json());
    await app.listen(0, '127.0.0.1');
    const answer = await postWebhook(
      `${await app.getUrl()}/webhooks/whatsapp`,
      sampleClickDelivery({ actions: [sampleClickAction()] }),
    );
    expect(answer.status).toBe(500);
    expect(answer.text).not.toMatch(/rawBody|useWhatsAppClicksBodyParser/);
  });
});

describe("Fastify hosts' own routes with useWhatsAppClicksBodyParser", () => {
  let app: INestApplication;
  let base: string;

  async function start(prefix?: string) {
    app = await NestFactory.create(host(), new FastifyAdapter({ bodyLimit: 2048 }), {
      logger: false,
      bodyParser: false,
    });
    if (prefix) app.setGlobalPrefix(prefix);
    useWhatsAppClicksBodyParser(app);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  }
  afterEach(() => app.close());

  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it("keeps Fastify's own JSON parser: prototype poisoning and an empty body are 400, its bodyLimit 413", async () => {
    await start();
    expect(await (await post('/echo', '{"a":"ü"}')).json()).toEqual({ a: 'ü' });
    expect((await post('/echo', '{"__proto__":{"admin":true}}')).status).toBe(400);
    expect((await post('/echo', '{"constructor":{"prototype":{"admin":true}}}')).status).toBe(400);
    expect((await post('/echo', '')).status).toBe(400);
    expect((await post('/echo', '{"broken":')).status).toBe(400);
    expect((await post('/echo', JSON.stringify({ pad: 'x'.repeat(3000) }))).status).toBe(413);
  });

  it('takes only the exact webhook route for the webhook, global prefix included', async () => {
    await start('api');
    const delivery = sampleClickDelivery({ actions: [sampleClickAction()] });
    expect((await postWebhook(`${base}/api/webhooks/whatsapp`, delivery)).json).toMatchObject({
      stored: 1,
    });
    // A host route that merely ends like it is the host's: parsed as JSON, no signature asked.
    const admin = await post('/api/admin/webhooks/whatsapp', '{"x":1}');
    expect([admin.status, await admin.json()]).toEqual([201, { admin: { x: 1 } }]);
  });
});
