import { PubSub, type PubSubEngine } from 'graphql-subscriptions';

/**
 * Whether the caller of a GraphQL operation (its `context`, as the host's GraphQLModule builds
 * it) may read one business account: `true`; `false` (FORBIDDEN); or `'unauthenticated'` when
 * the caller has no valid credentials at all (UNAUTHENTICATED).
 */
export type ClickAuthorizer = (
  context: unknown,
  businessAccountId: string,
) => boolean | 'unauthenticated' | Promise<boolean | 'unauthenticated'>;

/** Options of `WhatsAppClicksModule.forRoot()` / `forRootAsync()`, as a host writes them. */
export interface WhatsAppClicksModuleOptions {
  /** The Meta app secret: the key of every `X-Hub-Signature-256`. Required. */
  appSecret: string;
  /** The token the App Dashboard sends in the GET handshake (`hub.verify_token`). Required. */
  verifyToken: string;
  /**
   * Largest webhook body accepted, in bytes or as a string such as `'3mb'`; larger is 413.
   * Default: `'3mb'` (Meta's largest payloads).
   */
  bodyLimit?: number | string;
  /**
   * Authorization of every GraphQL read, per business account. Required with `graphql: true`;
   * `() => true` opens every account to every caller.
   */
  authorize?: ClickAuthorizer;
  /**
   * Depth and cost limits of one GraphQL operation, checked before it runs; `false` leaves limits
   * to the host. Default: `{ maxDepth: 10, maxCost: 2000 }`.
   */
  queryLimits?: Partial<QueryLimits> | false;
  /**
   * The engine live clicks are published through (`graphql-subscriptions`' `PubSubEngine`), for
   * example a `RedisPubSub` so that several instances serve one stream. Default: in-process.
   */
  pubSub?: PubSubEngine;
  /**
   * Clicks held for one subscriber that does not keep up; past it, the subscription ends with a
   * SUBSCRIBER_TOO_SLOW error. Default: 2000.
   */
  subscriptionBuffer?: number;
}

/** Limits of one GraphQL operation. */
export interface QueryLimits {
  /** Deepest field nesting, introspection excluded. */
  maxDepth: number;
  /** Most cost: each field 1, lists and statistics more (a full `clickStats` about 170). */
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxCost: 2000 };
export const DEFAULT_SUBSCRIPTION_BUFFER = 2000;

/** What shapes the module graph, so it is fixed when `forRoot`/`forRootAsync` is called. */
export interface WhatsAppClicksModuleExtras {
  /** Route of the webhook controller (GET handshake, POST deliveries). Default: `'webhooks/whatsapp'`. */
  webhookPath?: string;
  /** Name of the host's TypeORM data source the module stores into. Default: the default one. */
  dataSourceName?: string;
  /** Register the module globally. Default: `false`. */
  isGlobal?: boolean;
  /**
   * Contribute the GraphQL queries (`clickEvent`, `clickEvents`, `clickStats`) to the host's
   * GraphQLModule, with the `authorize` option applied. Default: `false`.
   */
  graphql?: boolean;
}

/** The options with every default applied, validated once at start-up. */
export interface WhatsAppClicksConfig {
  appSecret: string;
  verifyToken: string;
  bodyLimitBytes: number;
  authorize: ClickAuthorizer | null;
  queryLimits: QueryLimits | null;
  pubSub: PubSubEngine;
  subscriptionBuffer: number;
}

export const DEFAULT_WEBHOOK_PATH = 'webhooks/whatsapp';
export const DEFAULT_BODY_LIMIT = '3mb';

/** Thrown at start-up when the module's options cannot work. */
export class WhatsAppClicksConfigError extends Error {
  override readonly name = 'WhatsAppClicksConfigError';
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `1024`, `'512kb'`, `'3mb'` to bytes. */
export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
    if (match) {
      const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]);
      if (bytes > 0) return bytes;
    }
  }
  throw new WhatsAppClicksConfigError(
    `bodyLimit ${JSON.stringify(value)} is not a positive size (bytes, or a string like '3mb')`,
  );
}

export function resolveConfig(options: WhatsAppClicksModuleOptions): WhatsAppClicksConfig {
  for (const key of ['appSecret', 'verifyToken'] as const) {
    if (typeof options?.[key] !== 'string' || options[key].length === 0) {
      throw new WhatsAppClicksConfigError(
        `WhatsAppClicksModule: option "${key}" is required and must be a non-empty string`,
      );
    }
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new WhatsAppClicksConfigError(
      'WhatsAppClicksModule: option "authorize" must be a function',
    );
  }
  let queryLimits: QueryLimits | null = null;
  if (options.queryLimits !== false) {
    queryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.queryLimits };
    for (const [key, value] of Object.entries(queryLimits)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new WhatsAppClicksConfigError(
          `WhatsAppClicksModule: queryLimits.${key} must be a positive integer, not ${value}`,
        );
      }
    }
  }
  const subscriptionBuffer = options.subscriptionBuffer ?? DEFAULT_SUBSCRIPTION_BUFFER;
  if (!Number.isInteger(subscriptionBuffer) || subscriptionBuffer < 1) {
    throw new WhatsAppClicksConfigError(
      `WhatsAppClicksModule: subscriptionBuffer must be a positive integer, not ${subscriptionBuffer}`,
    );
  }
  if (options.pubSub !== undefined && typeof options.pubSub?.publish !== 'function') {
    throw new WhatsAppClicksConfigError(
      'WhatsAppClicksModule: option "pubSub" must be a PubSubEngine',
    );
  }
  return {
    appSecret: options.appSecret,
    verifyToken: options.verifyToken,
    bodyLimitBytes: parseByteSize(options.bodyLimit ?? DEFAULT_BODY_LIMIT),
    authorize: options.authorize ?? null,
    queryLimits,
    pubSub: options.pubSub ?? new PubSub(),
    subscriptionBuffer,
  };
}
