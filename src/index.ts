export { WhatsAppClicksModule } from './whatsapp-clicks.module.js';
export type {
  WhatsAppClicksForRootAsyncOptions,
  WhatsAppClicksForRootOptions,
} from './whatsapp-clicks.module-definition.js';
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_QUERY_LIMITS,
  DEFAULT_SUBSCRIPTION_BUFFER,
  DEFAULT_WEBHOOK_PATH,
  WhatsAppClicksConfigError,
  type ClickAuthorizer,
  type QueryLimits,
  type WhatsAppClicksModuleExtras,
  type WhatsAppClicksModuleOptions,
} from './whatsapp-clicks.options.js';

export { ClickEvent } from './storage/click-event.entity.js';
export { RejectedDelivery, type RejectionKind } from './storage/rejected-delivery.entity.js';
export { ClickEventRepository, ClickStorageError } from './storage/click-event.repository.js';
export {
  ClickEventQueries,
  type ClickEventCriteria,
  type KeysetPosition,
} from './storage/click-event.queries.js';
export { whatsAppClicksMigrations } from './storage/migrations/index.js';

export { CLICK_EVENT_RECEIVED, ClickEventReceived } from './events/click-event-received.event.js';
export { OnClickEvent } from './events/on-click-event.decorator.js';

export { ClickIngestService, type IngestOutcome } from './ingest/click-ingest.service.js';
export { IngestCounters, type IngestCountsSnapshot } from './ingest/ingest-counters.js';

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
} from './live/click-pubsub.js';

export { ClickComponent, ClickEventModel } from './graphql/click-event.model.js';
export { ClickEventFilter } from './graphql/click-event-filter.input.js';
export {
  ClickEventConnection,
  ClickEventEdge,
  PageInfo,
} from './graphql/click-event-connection.model.js';
export { ClickStats, StatBucket, StatsInterval, TimeBucket } from './graphql/click-stats.model.js';
