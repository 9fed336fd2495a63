import type { ScanOptions } from './scans/click-scans.js';
import type { ClickSink } from './forward/click-sink.js';
import type { ClickPubSub } from './live/click-pubsub.js';

/**
 * Whether the caller of a GraphQL operation (its `context`, as the host's GraphQLModule builds
 * it) may read one business account: `true`; `false` (FORBIDDEN); or `'unauthenticated'` when
 * the caller has no valid credentials at all (UNAUTHENTICATED). For `clickEvent(id)` of an id
 * that does not exist it is asked with the account `''`, so that an unauthenticated caller gets
 * UNAUTHENTICATED whether the id exists or not.
 */
export type ClickAuthorizer = (
  context: unknown,
  businessAccountId: string,
) => ClickAccess | Promise<ClickAccess>;

/** `true`: may read; `false`: FORBIDDEN; `'unauthenticated'`: UNAUTHENTICATED. */
export type ClickAccess = boolean | 'unauthenticated';

/** Options of `WhatsAppClicksModule.forRoot()` / `forRootAsync()`, as a host writes them. */
export interface WhatsAppClicksModuleOptions {
  /**
   * The Meta app secret: the key of every `X-Hub-Signature-256`. Required. Several (an array)
   * while rotating the secret, or for several Meta apps: a body signed with any of them passes.
   */
  appSecret: string | readonly string[];
  /** The token the App Dashboard sends in the GET handshake (`hub.verify_token`). Required. */
  verifyToken: string;
  /**
   * Largest webhook body accepted, in bytes or as a string such as `'3mb'`; larger is 413.
   * Default: `'3mb'` (Meta's largest payloads).
   */
  bodyLimit?: number | string;
  /**
   * Authorization of every GraphQL read, per business account (see `ClickAuthorizer`), given
   * the host's own GraphQL context, typed as the host types it. Required with `graphql: true`;
   * `() => true` opens every account to every caller.
   */
  // Method syntax, so that a function of the host's own context type is accepted.
  authorize?(context: unknown, businessAccountId: string): ClickAccess | Promise<ClickAccess>;
  /**
   * Depth and cost limits of one GraphQL operation's fields of this module (the host's own
   * fields are not counted), checked before it runs; `false` leaves limits to the host.
   * Default: `{ maxDepth: 10, maxCost: 2000 }`.
   */
  queryLimits?: Partial<QueryLimits> | false;
  /**
   * The engine live clicks are published through: any `graphql-subscriptions` `PubSubEngine`,
   * for example a `RedisPubSub` so that several instances serve one stream. Default: in-process
   * with `graphql: true`, none without.
   */
  pubSub?: ClickPubSub;
  /**
   * Clicks held for one subscriber that does not keep up; past it, the subscription ends with a
   * SUBSCRIBER_TOO_SLOW error. Default: 2000.
   */
  subscriptionBuffer?: number;
  /**
   * Longest wait for the database to take a delivery, in ms; past it the webhook answers 503
   * (Meta retries) instead of hanging on a stalled database. A write that still commits later is
   * handed on to the handlers then, and Meta's retry is a duplicate. Default: 10000.
   */
  storageTimeout?: number;
  /**
   * Reads that scan stored clicks rather than the rollups (a MINUTE timeseries, two filters at
   * once, a `clickEvents` page with a rare filter): how many run at once per process, the rest
   * waiting their turn (`concurrency`, default half the cores), and how long a caller waits for
   * one on SQLite before it gets an error (`timeoutMs`, default 30000; the statement runs to its
   * end on its thread, keeping its turn; PostgreSQL has its own `statement_timeout`). On a SQLite file in WAL mode they run on worker threads, so webhooks
   * never wait for them. Default: `{}`.
   */
  scans?: { concurrency?: number; timeoutMs?: number };
  /**
   * Forward every new click to a message broker, at least once (also across a crash or a broker
   * outage; never Meta's duplicates): `'nats://host:4222'` (JetStream, needs
   * `@nats-io/transport-node` and `@nats-io/jetstream`), `'amqp://user:pass@host:5672'`
   * (RabbitMQ, needs `amqplib`), or a `ClickSink` of your own. Webhooks never wait for it.
   * Default: none.
   */
  forward?: string | ClickSink;
  /**
   * How the outbox hands clicks on to the handlers and the broker. `leaseMs`: how long an
   * instance holds the entries it claimed; a dead instance's are taken over after it (default
   * 30000). `pollIntervalMs`: how often the outbox is looked at for what this process did not
   * write or could not hand on (default 1000).
   */
  outbox?: { leaseMs?: number; pollIntervalMs?: number };
  /**
   * Register the module's Prometheus metrics (needs `prom-client`): `true` on prom-client's
   * default registry (the one `@willsoto/nestjs-prometheus` serves), or `{ registry }` on your
   * own. The module never serves `/metrics` itself: your app does. Default: off.
   */
  metrics?: boolean | { registry: ClickMetricsRegistry };
  /**
   * Delete old clicks (by `occurredAt`) and old rejected deliveries (by `receivedAt`), in small
   * batches, every `intervalMs`. `days`: how long clicks are kept; `perAccount`: other lengths
   * for some business accounts; `rejectedDays`: how long rejected deliveries are kept (default:
   * `days`). Default: off (everything is kept).
   */
  retention?: RetentionOptions;
  /**
   * Keep every signed delivery exactly as it came, with its `X-Hub-Signature-256`, in the
   * transaction that stores its clicks (table `delivery_archive`): Meta offers no way to fetch a
   * past webhook, so this is what `ArchivedDeliveryReplay` reads again after an upgrade. `true`
   * keeps them until you delete them; `{ days }` deletes them `days` after they were received
   * (with retention's batches, every `retention.intervalMs` or hourly). Costs a row per delivery
   * (its bytes). Default: off.
   */
  archive?: boolean | { days: number };
  /**
   * Who may report conversions at the `conversionsPath` extra (off without it):
   * `allowedOrigins`, the landing pages' origins (`https://shop.example`, or `'*'`) whose
   * browsers report with no secret; `apiKeys`, bearer keys of servers; `perMinute`, requests a
   * browser's IP address may make per minute (default 60). Default: no origin, no key.
   */
  conversions?: ConversionsOptions;
  /**
   * Compare, daily, Meta's own CTA click counts (`template_analytics` of the Graph API, with
   * `accessToken`, for `templateIds`) of each of `businessAccountIds` with the CTA clicks stored,
   * per UTC day of the last `days` (default 7). Meta settles a day within `settleHours` (48):
   * a settled day that differs is a warning, the `whatsapp_clicks_reconciliation_drift` metric
   * and GraphQL `clickReconciliation`. `graphApiUrl` defaults to
   * `https://graph.facebook.com/v21.0`; `schedule: false` leaves it to `ClickReconciliation.runOnce()`.
   * Default: off.
   */
  reconciliation?: ReconciliationOptions;
  /**
   * Who may use the admin operations (`rejectedDeliveries`, `replayRejectedDeliveries`,
   * `replayArchivedDeliveries`), given
   * the host's GraphQL context: `true`, `false` (FORBIDDEN) or `'unauthenticated'`. Default:
   * nobody (every admin operation is FORBIDDEN).
   */
  authorizeAdmin?(context: unknown): ClickAccess | Promise<ClickAccess>;
}

/** Reconciliation with Meta's counts (see `WhatsAppClicksModuleOptions.reconciliation`). */
export interface ReconciliationOptions {
  accessToken: string;
  businessAccountIds: string[];
  templateIds: string[];
  graphApiUrl?: string;
  days?: number;
  settleHours?: number;
  intervalMs?: number;
  timeoutMs?: number;
  schedule?: boolean;
}

/** Reconciliation with its defaults. */
export interface ReconciliationConfig {
  accessToken: string;
  businessAccountIds: readonly string[];
  templateIds: readonly string[];
  baseUrl: string;
  days: number;
  settleHours: number;
  intervalMs: number;
  timeoutMs: number;
  schedule: boolean;
}

/** Who may report conversions (see `WhatsAppClicksModuleOptions.conversions`). */
export interface ConversionsOptions {
  allowedOrigins?: string[];
  apiKeys?: string[];
  perMinute?: number;
}

/** Retention, as a host writes it (see `WhatsAppClicksModuleOptions.retention`). */
export interface RetentionOptions {
  /** Days a click is kept after it occurred. */
  days: number;
  /** Days per business account, instead of `days`. */
  perAccount?: Record<string, number>;
  /** Days a rejected delivery is kept after it was received. Default: `days`. */
  rejectedDays?: number;
  /** How often old rows are looked for, in ms. Default: 3600000 (hourly; and once at start). */
  intervalMs?: number;
  /** Rows per delete (each one short transaction). Default: 1000. */
  batchSize?: number;
}

/** Retention with its defaults. */
export type RetentionConfig = Required<Omit<RetentionOptions, 'perAccount'>> & {
  perAccount: Readonly<Record<string, number>>;
};

/**
 * Where the module registers its metrics: a prom-client `Registry` (typed structurally, so
 * that hosts without prom-client need none of its types).
 */
export interface ClickMetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** How the outbox hands clicks on, with its defaults. */
export interface OutboxConfig {
  leaseMs: number;
  pollIntervalMs: number;
}

/** Limits of one GraphQL operation. */
export interface QueryLimits {
  /** Deepest field nesting below the module's root fields, introspection excluded. */
  maxDepth: number;
  /** Most cost: each field 1, lists and statistics more (a full `clickStats` about 670 with a timeseries, 120 without). */
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxCost: 2000 };
export const DEFAULT_SUBSCRIPTION_BUFFER = 2000;
export const DEFAULT_STORAGE_TIMEOUT = 10_000;
export const DEFAULT_OUTBOX: OutboxConfig = { leaseMs: 30_000, pollIntervalMs: 1000 };
export const DEFAULT_RETENTION_INTERVAL = 3_600_000;
export const DEFAULT_RETENTION_BATCH = 1000;
export const DEFAULT_CONVERSIONS_PER_MINUTE = 60;

/** What shapes the module graph, so it is fixed when `forRoot`/`forRootAsync` is called. */
export interface WhatsAppClicksModuleExtras {
  /** Route of the webhook controller (GET handshake, POST deliveries). Default: `'webhooks/whatsapp'`. */
  webhookPath?: string;
  /** Name of the host's TypeORM data source the module stores into. Default: the default one. */
  dataSourceName?: string;
  /** Register the module globally. Default: `false`. */
  isGlobal?: boolean;
  /**
   * Contribute the GraphQL queries (`clickEvent`, `clickEvents`, `clickStats`) and the
   * `clickEventReceived` subscription to the host's GraphQLModule (Apollo, code-first), with the
   * `authorize` option applied. Needs `@nestjs/graphql`, `@nestjs/apollo`, `graphql`,
   * `graphql-subscriptions` and `graphql-query-complexity`. Default: `false`.
   */
  graphql?: boolean;
  /**
   * With `graphql: true`: serve the offline GraphiQL IDE as the landing page of the host's
   * GraphQL path (instead of Apollo's, which loads from a CDN), its files under `/graphiql/`.
   * Needs `graphiql@3`, `react@18` and `react-dom@18`, and `graphiql: false` (the default) in
   * the host's GraphQLModule. Default: `false`.
   */
  ide?: boolean;
  /**
   * Serve the conversions endpoint at this route (`POST`, and `OPTIONS` for CORS), and
   * `GET /clicks.js` for landing pages: a public endpoint, so off unless set (the `conversions`
   * option says who may report). Needs `@nestjs/throttler`. Such as
   * `'webhooks/whatsapp/conversions'`. Default: off.
   */
  conversionsPath?: string;
  /**
   * With `graphql: true`: serve the live dashboard at this route (`GET`), its files under it.
   * It loads with no internet and reads the API with the viewer's key, so it shows nothing a
   * key may not read. Needs `uplot` and `graphql-ws` (browser builds, never loaded by Node).
   * Such as `'dashboard'`. Default: off.
   */
  dashboardPath?: string;
  /** The host's GraphQL path, which the dashboard's page asks. Default: `'/graphql'`. */
  dashboardGraphqlPath?: string;
}

/** The options with every default applied, validated once at start-up. */
export interface WhatsAppClicksConfig {
  appSecrets: readonly string[];
  verifyToken: string;
  bodyLimitBytes: number;
  authorize: ClickAuthorizer | null;
  queryLimits: QueryLimits | null;
  /** Null: nobody listens live (no `graphql: true` and no `pubSub` option). */
  pubSub: ClickPubSub | null;
  subscriptionBuffer: number;
  storageTimeoutMs: number;
  scans: ScanOptions;
  forward: string | ClickSink | null;
  outbox: OutboxConfig;
  /** Null: no metrics. `registry` null: prom-client's default registry. */
  metrics: { registry: ClickMetricsRegistry | null } | null;
  retention: RetentionConfig | null;
  /** Null: deliveries are not archived. `days` null: kept until deleted by hand. */
  archive: { days: number | null } | null;
  conversions: Required<ConversionsOptions>;
  reconciliation: ReconciliationConfig | null;
  authorizeAdmin: ((context: unknown) => ClickAccess | Promise<ClickAccess>) | null;
}

export const DEFAULT_WEBHOOK_PATH = 'webhooks/whatsapp';
export const DEFAULT_BODY_LIMIT = '3mb';

/** Thrown at start-up when the module's options or the host's set-up cannot work. */
export class WhatsAppClicksConfigError extends Error {
  override readonly name = 'WhatsAppClicksConfigError';
}
