// The main entry. It loads no optional part: GraphQL, the IDE, Redis and brokers are loaded only
// when the host turns them on. The GraphQL models exported here are plain classes; their schema
// is applied when GraphQL is on (or by importing `nestjs-whatsapp-clicks/graphql`).
export { WhatsAppClicksModule } from './whatsapp-clicks.module.js';
export type {
  WhatsAppClicksForRootAsyncOptions,
  WhatsAppClicksForRootOptions,
} from './whatsapp-clicks.module-definition.js';
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_OUTBOX,
  DEFAULT_QUERY_LIMITS,
  DEFAULT_STORAGE_TIMEOUT,
  DEFAULT_SUBSCRIPTION_BUFFER,
  DEFAULT_WEBHOOK_PATH,
  WhatsAppClicksConfigError,
  type ClickAccess,
  type ClickAuthorizer,
  type ClickMetricsRegistry,
  type OutboxConfig,
  type RetentionOptions,
  type QueryLimits,
  type WhatsAppClicksModuleExtras,
  type WhatsAppClicksModuleOptions,
} from './whatsapp-clicks.options.js';

export { ClickEvent } from './storage/click-event.entity.js';
export { RejectedDelivery, type RejectionKind } from './storage/rejected-delivery.entity.js';
export {
  ClickEventRepository,
  ClickStorageError,
  type RejectionRecord,
} from './storage/click-event.repository.js';
export {
  ClickEventQueries,
  type BreakdownColumn,
  type ClickEventCriteria,
  type CountBucket,
  type KeysetPosition,
} from './storage/click-event.queries.js';
export { whatsAppClicksMigrations } from './storage/migrations/index.js';
export {
  ClickStatsService,
  MAX_TIME_BUCKETS,
  TooManyBucketsError,
} from './stats/click-stats.service.js';
export { RollupBackfill, rebuildClickRollups } from './rollups/rollup-backfill.js';
export { RollupFolding } from './rollups/rollup-folding.js';
export {
  ClickStreamReader,
  type StreamPage,
  type StreamPosition,
} from './stream/click-stream.reader.js';
export {
  subscribeResumable,
  type ResumableSubscriptionOptions,
} from './stream/resumable-subscription.js';

export {
  CLICK_EVENT_RECEIVED,
  ClickEventReceived,
  type ReceivedClick,
} from './events/click-event-received.event.js';
export { OnClickEvent } from './events/on-click-event.decorator.js';

export { ClickOutbox } from './outbox/click-outbox.service.js';
export type { OutboxTarget } from './outbox/outbox-target.js';
export { toForwardedClick, type ClickSink, type ForwardedClick } from './forward/click-sink.js';

export { ClickIngestService, type IngestOutcome } from './ingest/click-ingest.service.js';
export { IngestCounters, type IngestCountsSnapshot } from './ingest/ingest-counters.js';
export { LiveSubscriptions } from './live/live-subscriptions.js';

export {
  WhatsAppClicksHealthIndicator,
  type ClickHealthResult,
  type ClickHealthStatus,
} from './health/click-health.indicator.js';
export { ClickRetention, type RetentionResult } from './retention/click-retention.service.js';
export { RejectedDeliveryReplay, type ReplayResult } from './replay/rejected-replay.service.js';
export {
  ClickReconciliation,
  type ReconciliationDay,
} from './reconciliation/click-reconciliation.service.js';
export {
  ClickFunnelService,
  DEFAULT_FUNNEL_STEPS,
  type FunnelGroup,
  type FunnelStep,
  type FunnelValue,
} from './funnel/click-funnel.service.js';
export { FunnelCounter } from './funnel/funnel-counter.js';
export { ClickAccountsService, type ClickAccountSummary } from './stats/click-accounts.service.js';
export type { TrackingEvent } from './payload/tracking-events.parser.js';
export type { ConversionsAnswer } from './conversions/conversions.controller.js';
export {
  ArchivedDeliveryReplay,
  type ArchiveReplayResult,
} from './replay/archive-replay.service.js';

export {
  parseClickPayload,
  type ClickAction,
  type ParsedClickPayload,
  type RejectedAction,
} from './payload/click-payload.parser.js';
export {
  useWhatsAppClicksBodyParser,
  type WhatsAppClicksBodyParserOptions,
} from './webhook/webhook-body-parser.js';

export {
  WHATSAPP_CLICKS_PUBSUB,
  InjectClickPubSub,
  clickChannel,
  type ClickMessage,
  type ClickPubSub,
} from './live/click-pubsub.js';

export { ClickComponent, ClickEventModel } from './models/click-event.model.js';
export { ClickEventFilter } from './models/click-event-filter.input.js';
export {
  ClickEventConnection,
  ClickEventEdge,
  PageInfo,
} from './models/click-event-connection.model.js';
export { ClickStats, StatBucket, StatsInterval, TimeBucket } from './models/click-stats.model.js';
export {
  RejectedDeliveryModel,
  RejectedDeliveryPage,
  ReplayResultModel,
} from './models/rejected-delivery.model.js';
export { ArchiveReplayResultModel } from './models/archive-replay-result.model.js';
export {
  ClickAccountModel,
  ClickFunnelModel,
  ConversionModel,
  FunnelGroupModel,
  FunnelStepModel,
  FunnelValueModel,
} from './models/click-funnel.model.js';
export { ReconciliationDayModel } from './models/reconciliation-day.model.js';
export type { ClickErrorCode } from './models/click-error-code.js';
