import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { DataSourceOptions } from 'typeorm';
import {
  ClickEvent,
  DEFAULT_BODY_LIMIT,
  DEFAULT_OUTBOX,
  DEFAULT_STORAGE_TIMEOUT,
  DEFAULT_SUBSCRIPTION_BUFFER,
  RejectedDelivery,
  whatsAppClicksMigrations,
} from '../src/index.js';
import { type KeyScope, parseApiKeys } from './api-keys.js';
import { ServerEnvironment } from './server-environment.js';
import type { SocketLimits } from './socket-guard.js';

const numberOrUndefined = (value: string | undefined) =>
  value === undefined ? undefined : Number(value);

/** Development defaults, printed at start-up and refused in production. */
export const DEV_APP_SECRET = 'dev-app-secret';
export const DEV_VERIFY_TOKEN = 'dev-verify-token';
export const DEFAULT_DATABASE_URL = 'sqlite:./data/clicks.sqlite';

export interface ServerConfig {
  port: number;
  /** The address to listen on: every interface by default, so Meta or a proxy can reach it. */
  host: string;
  production: boolean;
  /** pino's level, and JSON lines or pretty ones (JSON in production). */
  log: { level: string; format: 'json' | 'pretty' };
  /** Bearer token of GET /metrics; null: open. */
  metricsToken: string | null;
  /** Days clicks are kept (CLICKS_RETENTION_DAYS); null: forever. */
  retentionDays: number | null;
  /** Days rejected deliveries are kept (default: as clicks). */
  rejectedRetentionDays: number | null;
  /** Days clicks of some accounts are kept instead (CLICKS_RETENTION_DAYS_BY_ACCOUNT). */
  retentionByAccount: Record<string, number>;
  /** Every signed delivery kept as it came (CLICKS_ARCHIVE); `days` null: kept until deleted. */
  archive: { days: number | null } | null;
  /** Conversions reported at /webhooks/whatsapp/conversions (CLICKS_CONVERSIONS); null: off. */
  conversions: { allowedOrigins: string[]; apiKeys: string[]; perMinute: number } | null;
  /** Daily reconciliation with Meta's counts (CLICKS_RECONCILE_*); null: off. */
  reconciliation: {
    accessToken: string;
    businessAccountIds: string[];
    templateIds: string[];
    graphApiUrl?: string;
  } | null;
  /** Bearer keys that may use the admin operations (and read every account). */
  adminKeys: string[];
  /** Meta app secrets: one, or several while rotating (WHATSAPP_APP_SECRET=new,old). */
  appSecrets: string[];
  verifyToken: string;
  bodyLimit: string;
  databaseUrl: string;
  /** Live clicks fan out through this Redis; null: in-process. */
  redisUrl: string | null;
  /** Clicks held for a live subscriber that does not keep up. */
  subscriptionBuffer: number;
  /** Longest wait for the database to take a delivery before a 503. */
  storageTimeoutMs: number;
  /** Reads that scan clicks: how many at once, how long a caller waits on SQLite (unset: the module's defaults). */
  scans: { concurrency?: number; timeoutMs?: number };
  /** Every new click is forwarded to this broker (nats:// or amqp://); null: not forwarded. */
  forwardUrl: string | null;
  /** How long an instance holds the outbox entries it claimed; a dead one's are taken over after. */
  outboxLeaseMs: number;
  /** What one caller may hold open over graphql-ws. */
  socketLimits: SocketLimits;
  /** An HTTP connection that sends nothing for this long (a stalled body, say) is closed. */
  httpTimeoutMs: number;
  /** Bearer keys and the accounts each may read; null: none configured. */
  apiKeys: Map<string, KeyScope> | null;
  /** Without keys: GraphQL open to anyone, or every read UNAUTHENTICATED (production). */
  anonymous: 'open' | 'closed';
  /** Which settings fell back to development defaults, to be printed. */
  devDefaults: string[];
}

/** The environment was not usable; the message lists every problem. */
export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

export function loadServerConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const raw = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = plainToInstance(ServerEnvironment, {
    ...raw,
    PORT: raw.PORT === undefined ? undefined : Number(raw.PORT),
    CLICKS_SUBSCRIPTION_BUFFER: numberOrUndefined(raw.CLICKS_SUBSCRIPTION_BUFFER),
    CLICKS_STORAGE_TIMEOUT_MS: numberOrUndefined(raw.CLICKS_STORAGE_TIMEOUT_MS),
    CLICKS_MAX_SOCKETS_PER_KEY: numberOrUndefined(raw.CLICKS_MAX_SOCKETS_PER_KEY),
    CLICKS_HTTP_TIMEOUT_MS: numberOrUndefined(raw.CLICKS_HTTP_TIMEOUT_MS),
    CLICKS_SCAN_CONCURRENCY: numberOrUndefined(raw.CLICKS_SCAN_CONCURRENCY),
    CLICKS_SCAN_TIMEOUT_MS: numberOrUndefined(raw.CLICKS_SCAN_TIMEOUT_MS),
    CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET: numberOrUndefined(raw.CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET),
    CLICKS_OUTBOX_LEASE_MS: numberOrUndefined(raw.CLICKS_OUTBOX_LEASE_MS),
    CLICKS_RETENTION_DAYS: numberOrUndefined(raw.CLICKS_RETENTION_DAYS),
    CLICKS_REJECTED_RETENTION_DAYS: numberOrUndefined(raw.CLICKS_REJECTED_RETENTION_DAYS),
    CLICKS_ARCHIVE_RETENTION_DAYS: numberOrUndefined(raw.CLICKS_ARCHIVE_RETENTION_DAYS),
    CLICKS_CONVERSIONS_PER_MINUTE: numberOrUndefined(raw.CLICKS_CONVERSIONS_PER_MINUTE),
  });
  // One message per variable: `PORT=abc` is not an integer, and that is all there is to say.
  const problems = validateSync(parsed, {
    forbidUnknownValues: false,
    stopAtFirstError: true,
  }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.includes(error.property) ? message : `${error.property}: ${message}`,
    ),
  );
  const production = parsed.NODE_ENV === 'production';
  const devDefaults: string[] = [];
  if (!parsed.WHATSAPP_APP_SECRET) {
    if (production) problems.push('WHATSAPP_APP_SECRET is required when NODE_ENV=production');
    devDefaults.push(`WHATSAPP_APP_SECRET=${DEV_APP_SECRET}`);
  }
  if (!parsed.WHATSAPP_VERIFY_TOKEN) {
    if (production) problems.push('WHATSAPP_VERIFY_TOKEN is required when NODE_ENV=production');
    devDefaults.push(`WHATSAPP_VERIFY_TOKEN=${DEV_VERIFY_TOKEN}`);
  }
  // The development values are printed in the README: anyone could sign with them.
  if (production && parsed.WHATSAPP_APP_SECRET?.split(',').includes(DEV_APP_SECRET)) {
    problems.push(`WHATSAPP_APP_SECRET must not be the public development secret in production`);
  }
  if (production && parsed.WHATSAPP_VERIFY_TOKEN === DEV_VERIFY_TOKEN) {
    problems.push(`WHATSAPP_VERIFY_TOKEN must not be the public development token in production`);
  }
  let apiKeys: Map<string, KeyScope> | null = null;
  if (parsed.CLICKS_API_KEYS) {
    try {
      apiKeys = parseApiKeys(parsed.CLICKS_API_KEYS);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  // An admin key reads every account too (when keys are in use at all).
  for (const key of parsed.CLICKS_ADMIN_KEYS?.split(',') ?? []) apiKeys?.set(key, '*');
  if (parsed.CLICKS_REJECTED_RETENTION_DAYS && !parsed.CLICKS_RETENTION_DAYS) {
    problems.push('CLICKS_REJECTED_RETENTION_DAYS needs CLICKS_RETENTION_DAYS');
  }
  if (parsed.CLICKS_RETENTION_DAYS_BY_ACCOUNT && !parsed.CLICKS_RETENTION_DAYS) {
    problems.push(
      'CLICKS_RETENTION_DAYS_BY_ACCOUNT needs CLICKS_RETENTION_DAYS (for the other accounts)',
    );
  }
  const archive = parsed.CLICKS_ARCHIVE === 'true';
  const reconcile = [
    parsed.CLICKS_RECONCILE_TOKEN,
    parsed.CLICKS_RECONCILE_ACCOUNTS,
    parsed.CLICKS_RECONCILE_TEMPLATES,
  ];
  if (reconcile.some((value) => value !== undefined) && reconcile.includes(undefined)) {
    problems.push(
      'CLICKS_RECONCILE_TOKEN, CLICKS_RECONCILE_ACCOUNTS and CLICKS_RECONCILE_TEMPLATES go together',
    );
  }
  for (const name of [
    'CLICKS_CONVERSIONS_ORIGINS',
    'CLICKS_CONVERSIONS_KEYS',
    'CLICKS_CONVERSIONS_PER_MINUTE',
  ] as const) {
    if (parsed[name] !== undefined && parsed.CLICKS_CONVERSIONS !== 'true') {
      problems.push(`${name} needs CLICKS_CONVERSIONS=true`);
    }
  }
  if (parsed.CLICKS_ARCHIVE_RETENTION_DAYS && !archive) {
    problems.push('CLICKS_ARCHIVE_RETENTION_DAYS needs CLICKS_ARCHIVE=true');
  }
  if (problems.length > 0) {
    throw new ServerConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    port: parsed.PORT ?? 3000,
    host: parsed.HOST ?? '0.0.0.0',
    production,
    log: {
      level: parsed.LOG_LEVEL ?? 'info',
      format:
        (parsed.LOG_FORMAT as 'json' | 'pretty' | undefined) ?? (production ? 'json' : 'pretty'),
    },
    metricsToken: parsed.METRICS_TOKEN ?? null,
    retentionDays: parsed.CLICKS_RETENTION_DAYS ?? null,
    rejectedRetentionDays: parsed.CLICKS_REJECTED_RETENTION_DAYS ?? null,
    retentionByAccount: Object.fromEntries(
      (parsed.CLICKS_RETENTION_DAYS_BY_ACCOUNT?.split(',') ?? []).map((pair) => {
        const [account, days] = pair.split('=');
        return [account!, Number(days)];
      }),
    ),
    archive: archive ? { days: parsed.CLICKS_ARCHIVE_RETENTION_DAYS ?? null } : null,
    reconciliation: parsed.CLICKS_RECONCILE_TOKEN
      ? {
          accessToken: parsed.CLICKS_RECONCILE_TOKEN,
          businessAccountIds: parsed.CLICKS_RECONCILE_ACCOUNTS?.split(',') ?? [],
          templateIds: parsed.CLICKS_RECONCILE_TEMPLATES?.split(',') ?? [],
          ...(parsed.CLICKS_GRAPH_API_URL ? { graphApiUrl: parsed.CLICKS_GRAPH_API_URL } : {}),
        }
      : null,
    conversions:
      parsed.CLICKS_CONVERSIONS === 'true'
        ? {
            allowedOrigins: parsed.CLICKS_CONVERSIONS_ORIGINS?.split(',') ?? [],
            apiKeys: parsed.CLICKS_CONVERSIONS_KEYS?.split(',') ?? [],
            perMinute: parsed.CLICKS_CONVERSIONS_PER_MINUTE ?? 60,
          }
        : null,
    adminKeys: parsed.CLICKS_ADMIN_KEYS?.split(',') ?? [],
    appSecrets: (parsed.WHATSAPP_APP_SECRET ?? DEV_APP_SECRET).split(','),
    verifyToken: parsed.WHATSAPP_VERIFY_TOKEN ?? DEV_VERIFY_TOKEN,
    bodyLimit: parsed.WHATSAPP_BODY_LIMIT ?? DEFAULT_BODY_LIMIT,
    databaseUrl: parsed.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: parsed.REDIS_URL ?? null,
    subscriptionBuffer: parsed.CLICKS_SUBSCRIPTION_BUFFER ?? DEFAULT_SUBSCRIPTION_BUFFER,
    storageTimeoutMs: parsed.CLICKS_STORAGE_TIMEOUT_MS ?? DEFAULT_STORAGE_TIMEOUT,
    httpTimeoutMs: parsed.CLICKS_HTTP_TIMEOUT_MS ?? 30_000,
    scans: {
      ...(parsed.CLICKS_SCAN_CONCURRENCY ? { concurrency: parsed.CLICKS_SCAN_CONCURRENCY } : {}),
      ...(parsed.CLICKS_SCAN_TIMEOUT_MS ? { timeoutMs: parsed.CLICKS_SCAN_TIMEOUT_MS } : {}),
    },
    forwardUrl: parsed.CLICKS_FORWARD_URL ?? null,
    outboxLeaseMs: parsed.CLICKS_OUTBOX_LEASE_MS ?? DEFAULT_OUTBOX.leaseMs,
    socketLimits: {
      socketsPerKey: parsed.CLICKS_MAX_SOCKETS_PER_KEY ?? 1000,
      subscriptionsPerSocket: parsed.CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET ?? 100,
    },
    apiKeys,
    anonymous: !production || parsed.CLICKS_ALLOW_ANONYMOUS === 'true' ? 'open' : 'closed',
    devDefaults,
  };
}

/**
 * TypeORM options for a `DATABASE_URL`: the module's entities and migrations, WAL for SQLite.
 * Never `synchronize`: the schema is the migrations'.
 */
export function dataSourceOptions(databaseUrl: string): DataSourceOptions {
  const common = {
    entities: [ClickEvent, RejectedDelivery],
    migrations: whatsAppClicksMigrations,
    synchronize: false,
  };
  if (databaseUrl.startsWith('sqlite:')) {
    const database = databaseUrl.slice('sqlite:'.length);
    return { ...common, type: 'better-sqlite3', database, enableWAL: true };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    // A database that does not accept connections fails a request in 5 s, not pg's never.
    // (No statement timeout: migrations run through this data source too. Webhook writes are
    // bounded by CLICKS_STORAGE_TIMEOUT_MS, every HTTP request by CLICKS_HTTP_TIMEOUT_MS.)
    const extra = { connectionTimeoutMillis: 5_000 };
    return { ...common, type: 'postgres', url: databaseUrl, extra };
  }
  throw new ServerConfigError(
    `DATABASE_URL ${JSON.stringify(databaseUrl)} is not postgres://…, postgresql://…, sqlite:<path> or sqlite::memory:`,
  );
}

/** A URL as printed at start-up: without user and password. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** The database as printed at start-up, without a password. */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return `SQLite ${databaseUrl.slice('sqlite:'.length)}`;
  const url = new URL(databaseUrl);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
