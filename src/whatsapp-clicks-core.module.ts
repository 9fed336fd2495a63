import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SqliteCheckpoints } from './checkpoints/sqlite-checkpoints.js';
import { resolveConfig } from './config/resolve-config.js';
import { ClickEventPublisher } from './events/click-event.publisher.js';
import { HandlersConsumer } from './events/handlers.consumer.js';
import { ForwardConsumer } from './forward/forward.consumer.js';
import { sinkForUrl } from './forward/sink-for-url.js';
import { WhatsAppClicksHealthIndicator } from './health/click-health.indicator.js';
import { ClickIngestService } from './ingest/click-ingest.service.js';
import { IngestCounters } from './ingest/ingest-counters.js';
import { WHATSAPP_CLICKS_PUBSUB } from './live/click-pubsub.js';
import { inProcessPubSub } from './live/in-process-pubsub.js';
import { LiveSubscriptions } from './live/live-subscriptions.js';
import { createClickMetrics, WHATSAPP_CLICKS_METRICS } from './metrics/click-metrics.js';
import { ClickFunnelService } from './funnel/click-funnel.service.js';
import { FunnelCounter } from './funnel/funnel-counter.js';
import { FunnelRollupReads } from './funnel/funnel-rollup.reads.js';
import { ClickReconciliation } from './reconciliation/click-reconciliation.service.js';
import { ArchivedDeliveryReplay } from './replay/archive-replay.service.js';
import { ClickAccountsService } from './stats/click-accounts.service.js';
import { RejectedDeliveryReplay } from './replay/rejected-replay.service.js';
import { ClickRetention } from './retention/click-retention.service.js';
import { RollupBackfill } from './rollups/rollup-backfill.js';
import { RollupFolding } from './rollups/rollup-folding.js';
import { RollupQueries } from './rollups/rollup.queries.js';
import { CLICK_SCANS, type ClickScans, scansFor } from './scans/click-scans.js';
import { ClickStatsService } from './stats/click-stats.service.js';
import { ClickOutbox, WHATSAPP_CLICKS_CONSUMERS } from './outbox/click-outbox.service.js';
import type { OutboxConsumer } from './outbox/outbox.dispatcher.js';
import { ClickEvent } from './storage/click-event.entity.js';
import { ClickEventQueries } from './storage/click-event.queries.js';
import { ClickStreamReader } from './stream/click-stream.reader.js';
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
        provide: WHATSAPP_CLICKS_CONSUMERS,
        useFactory: consumers,
        inject: [WHATSAPP_CLICKS_CONFIG, { token: EventEmitter2, optional: true }],
      },
      {
        provide: ClickEventRepository,
        useFactory: (source: DataSource, list: readonly OutboxConsumer[]) =>
          new ClickEventRepository(source, () =>
            list.filter((consumer) => consumer.wanted()).map((consumer) => consumer.target),
          ),
        inject: [dataSource, WHATSAPP_CLICKS_CONSUMERS],
      },
      {
        provide: CLICK_SCANS,
        useFactory: (source: DataSource, config: WhatsAppClicksConfig) =>
          scansFor(source, config.scans, new Logger('WhatsAppClicks')),
        inject: [dataSource, WHATSAPP_CLICKS_CONFIG],
      },
      {
        provide: ClickEventQueries,
        useFactory: (source: DataSource, scans: ClickScans) => new ClickEventQueries(source, scans),
        inject: [dataSource, CLICK_SCANS],
      },
      {
        provide: ClickStreamReader,
        useFactory: (source: DataSource, queries: ClickEventQueries) =>
          new ClickStreamReader(source, queries),
        inject: [dataSource, ClickEventQueries],
      },
      {
        provide: RollupQueries,
        useFactory: (source: DataSource) => new RollupQueries(source),
        inject: [dataSource],
      },
      SqliteCheckpoints,
      RollupBackfill,
      RollupFolding,
      FunnelCounter,
      {
        provide: FunnelRollupReads,
        useFactory: (source: DataSource) => new FunnelRollupReads(source),
        inject: [dataSource],
      },
      ClickStatsService,
      ClickFunnelService,
      ClickAccountsService,
      ClickIngestService,
      ClickEventPublisher,
      ClickOutbox,
      IngestCounters,
      LiveSubscriptions,
      ClickRetention,
      RejectedDeliveryReplay,
      ArchivedDeliveryReplay,
      ClickReconciliation,
      WhatsAppClicksHealthIndicator,
      {
        provide: WHATSAPP_CLICKS_METRICS,
        useFactory: (
          config: WhatsAppClicksConfig,
          counters: IngestCounters,
          live: LiveSubscriptions,
          outbox: ClickOutbox,
          retention: ClickRetention,
          reconciliation: ClickReconciliation,
          funnel: FunnelCounter,
          scans: ClickScans,
          folding: RollupFolding,
        ) =>
          createClickMetrics(config, {
            counters,
            live,
            outbox,
            retention,
            reconciliation,
            funnel,
            scans,
            folding,
          }),
        inject: [
          WHATSAPP_CLICKS_CONFIG,
          IngestCounters,
          LiveSubscriptions,
          ClickOutbox,
          ClickRetention,
          ClickReconciliation,
          FunnelCounter,
          CLICK_SCANS,
          RollupFolding,
        ],
      },
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
        ClickStreamReader,
        ClickStatsService,
        ClickFunnelService,
        ClickAccountsService,
        RollupBackfill,
        RollupFolding,
        FunnelCounter,
        ClickIngestService,
        ClickOutbox,
        IngestCounters,
        LiveSubscriptions,
        ClickRetention,
        RejectedDeliveryReplay,
        ArchivedDeliveryReplay,
        ClickReconciliation,
        WhatsAppClicksHealthIndicator,
        WHATSAPP_CLICKS_METRICS,
      ],
    };
  }
}

/** Who new clicks are handed on to: the host's handlers (when it has an EventEmitter2), the broker. */
async function consumers(
  config: WhatsAppClicksConfig,
  emitter: EventEmitter2 | undefined,
): Promise<OutboxConsumer[]> {
  const logger = new Logger('WhatsAppClicks');
  const list: OutboxConsumer[] = [];
  if (emitter) list.push(new HandlersConsumer(emitter, logger));
  else {
    logger.warn(
      'EventEmitter2 is not available: import EventEmitterModule.forRoot() in your app to receive ClickEventReceived events',
    );
  }
  const sink =
    typeof config.forward === 'string' ? await sinkForUrl(config.forward) : config.forward;
  if (sink) list.push(new ForwardConsumer(sink));
  return list;
}
