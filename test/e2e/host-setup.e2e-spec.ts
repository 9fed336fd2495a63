// The module in minimal hosts set up in each way the README describes, and the ways that fail.
import {
  Body,
  Controller,
  type DynamicModule,
  type INestApplication,
  Module,
  Post,
  type Type,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLICK_EVENT_RECEIVED,
  WhatsAppClicksConfigError,
  useWhatsAppClicksBodyParser,
  WhatsAppClicksModule,
  type WhatsAppClicksModuleOptions,
} from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { hostTypeOrm } from '../support/host-typeorm.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

/** A route of the host's own, to see that its JSON parsing still works. */
@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

function hostModule(
  options: Partial<WhatsAppClicksModuleOptions>,
  events = true,
  controllers: Type<unknown>[] = [],
  graphql = false,
): DynamicModule {
  @Module({})
  class Host {}
  return {
    module: Host,
    controllers,
    imports: [
      hostTypeOrm(),
      ...(events ? [EventEmitterModule.forRoot()] : []),
      WhatsAppClicksModule.forRootAsync({
        useFactory: async () => ({
          appSecret: TEST_APP_SECRET,
          verifyToken: TEST_VERIFY_TOKEN,
          ...options,
        }),
        graphql,
      }),
    ],
  };
}

describe('host setups', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(
    module: DynamicModule,
    options: { rawBody?: boolean; bodyParser?: boolean } = {},
  ): Promise<string> {
    app = await NestFactory.create<NestExpressApplication>(module, { logger: false, ...options });
    await app.listen(0, '127.0.0.1');
    return `${await app.getUrl()}/webhooks/whatsapp`;
  }

  it('with useWhatsAppClicksBodyParser on Express: keeps bad signed bodies, parses other routes', async () => {
    app = await NestFactory.create<NestExpressApplication>(hostModule({}, true, [EchoController]), {
      logger: false,
      bodyParser: false,
    });
    useWhatsAppClicksBodyParser(app);
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    const url = `${base}/webhooks/whatsapp`;

    const notJson = await postWebhook(url, '{"broken": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json.message).toMatch(/not JSON/);
    expect((await postWebhook(url, '{"broken": ', { secret: null })).status).toBe(401);
    expect(
      (await postWebhook(url, sampleClickDelivery({ actions: [sampleClickAction()] }))).json,
    ).toMatchObject({
      stored: 1,
    });
    const dataSource = app.get(DataSource);
    expect(await dataSource.query(`SELECT "payload" FROM "rejected_deliveries"`)).toEqual([
      { payload: '{"broken": ' },
    ]);

    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'host' }),
    });
    expect(await echo.json()).toEqual({ hello: 'host' });
  });

  it('applies its own bodyLimit to bytes the host kept (rawBody: true)', async () => {
    const url = await start(hostModule({ bodyLimit: '1kb' }), { rawBody: true });
    const small = sampleClickDelivery({ actions: [sampleClickAction()] });
    const large = sampleClickDelivery({
      actions: Array.from({ length: 20 }, () => sampleClickAction()),
    });
    expect((await postWebhook(url, small)).status).toBe(200);
    expect((await postWebhook(url, large)).status).toBe(413);
  });

  it('reads the body itself when the host has no body parser', async () => {
    const url = await start(hostModule({ bodyLimit: '1kb' }), { bodyParser: false });
    const small = sampleClickDelivery({ actions: [sampleClickAction()] });
    expect((await postWebhook(url, small)).json).toMatchObject({ stored: 1 });
    expect((await postWebhook(url, Buffer.alloc(2048, 0x20))).status).toBe(413);
  });

  it('stores clicks without EventEmitterModule (no events to emit)', async () => {
    const url = await start(hostModule({}, false), { rawBody: true });
    const answer = await postWebhook(url, sampleClickDelivery({ actions: [sampleClickAction()] }));
    expect(answer.json).toMatchObject({ stored: 1 });
  });

  it('answers 200 and keeps storing when a listener added by hand throws', async () => {
    const url = await start(hostModule({}), { rawBody: true });
    const emitter = app!.get(EventEmitter2);
    // Nest wraps @OnEvent handlers in promises; a listener added by hand can throw synchronously.
    emitter.on(CLICK_EVENT_RECEIVED, () => {
      throw new Error('bare listener failed on purpose');
    });

    const first = await postWebhook(
      url,
      sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'a' })] }),
    );
    const second = await postWebhook(
      url,
      sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'b' })] }),
    );

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.json).toMatchObject({ stored: 1 });
  });

  it('refuses to start with graphql: true but no authorize option', async () => {
    await expect(
      NestFactory.create(hostModule({}, true, [], true), { logger: false, abortOnError: false }),
    ).rejects.toThrow(/`graphql: true` needs an `authorize` option/);
  });

  it('refuses to start when forRootAsync resolves options without a secret', async () => {
    await expect(
      NestFactory.create(hostModule({ appSecret: '' }), { logger: false, abortOnError: false }),
    ).rejects.toThrow(WhatsAppClicksConfigError);
  });
});
