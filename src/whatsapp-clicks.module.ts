import { Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ClickEventPublisher } from './events/click-event.publisher.js';
import { ClickIngestService } from './ingest/click-ingest.service.js';
import { IngestCounters } from './ingest/ingest-counters.js';
import { WHATSAPP_CLICKS_PUBSUB } from './live/click-pubsub.js';
import { ClickEventQueries } from './storage/click-event.queries.js';
import { ClickEventRepository } from './storage/click-event.repository.js';
import { WebhookRawBodyMiddleware } from './webhook/webhook-raw-body.middleware.js';
import { WebhookSignatureGuard } from './webhook/webhook-signature.guard.js';
import {
  WHATSAPP_CLICKS_CONFIG,
  WHATSAPP_CLICKS_WEBHOOK_PATH,
} from './whatsapp-clicks.constants.js';
import {
  ConfigurableModuleClass,
  WHATSAPP_CLICKS_MODULE_OPTIONS,
} from './whatsapp-clicks.module-definition.js';
import {
  resolveConfig,
  type WhatsAppClicksConfig,
  type WhatsAppClicksModuleOptions,
} from './whatsapp-clicks.options.js';

/**
 * Receives Meta's click webhooks, stores each action once in the host's TypeORM data source and
 * emits `ClickEventReceived` for every new one.
 *
 * ```ts
 * WhatsAppClicksModule.forRoot({ appSecret, verifyToken })
 * WhatsAppClicksModule.forRootAsync({ useFactory: (config) => ({...}), inject: [ConfigService] })
 * ```
 * The host provides `TypeOrmModule.forRoot(...)` with `whatsAppClicksMigrations` (and the
 * entities, or `autoLoadEntities`), and `EventEmitterModule.forRoot()` for domain events.
 */
@Module({
  providers: [
    {
      provide: WHATSAPP_CLICKS_CONFIG,
      useFactory: (options: WhatsAppClicksModuleOptions) => resolveConfig(options),
      inject: [WHATSAPP_CLICKS_MODULE_OPTIONS],
    },
    {
      provide: WHATSAPP_CLICKS_PUBSUB,
      useFactory: (config: WhatsAppClicksConfig) => config.pubSub,
      inject: [WHATSAPP_CLICKS_CONFIG],
    },
    ClickIngestService,
    ClickEventPublisher,
    IngestCounters,
    WebhookSignatureGuard,
    WebhookRawBodyMiddleware,
  ],
  exports: [
    ClickEventRepository,
    ClickEventQueries,
    ClickIngestService,
    IngestCounters,
    WHATSAPP_CLICKS_PUBSUB,
  ],
})
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
