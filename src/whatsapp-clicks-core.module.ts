import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { resolveConfig } from './config/resolve-config.js';
import { ClickEventPublisher } from './events/click-event.publisher.js';
import { ClickIngestService } from './ingest/click-ingest.service.js';
import { IngestCounters } from './ingest/ingest-counters.js';
import { WHATSAPP_CLICKS_PUBSUB } from './live/click-pubsub.js';
import { inProcessPubSub } from './live/in-process-pubsub.js';
import { ClickEvent } from './storage/click-event.entity.js';
import { ClickEventQueries } from './storage/click-event.queries.js';
import { ClickEventRepository } from './storage/click-event.repository.js';
import { RejectedDelivery } from './storage/rejected-delivery.entity.js';
import { StorageSetupCheck } from './storage/storage-setup.check.js';
import {
  WHATSAPP_CLICKS_CONFIG,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from './whatsapp-clicks.constants.js';
import type {
  WhatsAppClicksConfig,
  WhatsAppClicksModuleOptions,
} from './whatsapp-clicks.options.js';

/**
 * The part of every module instance that GraphQL builds on too: configuration, storage, ingest
 * and publishing. Its own module, so that the optional GraphQL part can import the very same
 * instance (one object, imported twice) without importing the module that imports it.
 */
@Module({})
export class WhatsAppClicksCoreModule {
  static compose(
    definition: DynamicModule,
    optionsToken: string | symbol,
    extras: { dataSourceName: string | undefined; graphql: boolean },
  ): DynamicModule {
    const dataSource = getDataSourceToken(extras.dataSourceName);
    const providers: Provider[] = [
      ...(definition.providers ?? []),
      {
        provide: WHATSAPP_CLICKS_CONFIG,
        useFactory: (options: WhatsAppClicksModuleOptions) => resolveConfig(options),
        inject: [optionsToken],
      },
      {
        provide: WHATSAPP_CLICKS_PUBSUB,
        useFactory: async (config: WhatsAppClicksConfig) =>
          config.pubSub ?? (extras.graphql ? await inProcessPubSub() : null),
        inject: [WHATSAPP_CLICKS_CONFIG],
      },
      { provide: WHATSAPP_CLICKS_DATA_SOURCE, useExisting: dataSource },
      {
        provide: ClickEventRepository,
        useFactory: (source: DataSource) => new ClickEventRepository(source),
        inject: [dataSource],
      },
      {
        provide: ClickEventQueries,
        useFactory: (source: DataSource) => new ClickEventQueries(source),
        inject: [dataSource],
      },
      ClickIngestService,
      ClickEventPublisher,
      IngestCounters,
      StorageSetupCheck,
    ];
    return {
      module: WhatsAppClicksCoreModule,
      imports: [
        ...(definition.imports ?? []),
        TypeOrmModule.forFeature([ClickEvent, RejectedDelivery], extras.dataSourceName),
      ],
      providers,
      exports: [
        WHATSAPP_CLICKS_CONFIG,
        WHATSAPP_CLICKS_PUBSUB,
        WHATSAPP_CLICKS_DATA_SOURCE,
        ClickEventRepository,
        ClickEventQueries,
        ClickIngestService,
        IngestCounters,
      ],
    };
  }
}
