import {
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebhookRawBodyMiddleware } from './webhook/webhook-raw-body.middleware.js';
import { WHATSAPP_CLICKS_WEBHOOK_PATH } from './whatsapp-clicks.constants.js';
import { ConfigurableModuleClass } from './whatsapp-clicks.module-definition.js';

/**
 * Receives Meta's click webhooks, stores each action once in the host's TypeORM data source and
 * emits `ClickEventReceived` for every new one; with `graphql: true`, adds the click API to the
 * host's GraphQL schema.
 *
 * ```ts
 * WhatsAppClicksModule.forRoot({ appSecret, verifyToken })
 * WhatsAppClicksModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({...}) })
 * ```
 * The host provides `TypeOrmModule.forRoot(...)` with `whatsAppClicksMigrations` (and the
 * entities, or `autoLoadEntities`), and `EventEmitterModule.forRoot()` for domain events. The
 * providers are composed in `whatsapp-clicks.module-definition.ts`, as the extras shape them.
 */
@Module({})
export class WhatsAppClicksModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(WHATSAPP_CLICKS_WEBHOOK_PATH) private readonly webhookPath: string,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    // Only Express hands middleware an unread body. On Fastify, content-type parsers read it,
    // and any middleware at all would put @fastify/middie on every request's path.
    if (this.adapterHost.httpAdapter?.getType() !== 'express') return;
    consumer
      .apply(WebhookRawBodyMiddleware)
      .forRoutes({ path: this.webhookPath, method: RequestMethod.POST });
  }
}
