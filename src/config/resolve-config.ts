import { DEFAULT_SCAN_CONCURRENCY, DEFAULT_SCAN_TIMEOUT } from '../scans/click-scans.js';
import { validateSync, type ValidationError } from 'class-validator';
import {
  DEFAULT_BODY_LIMIT,
  DEFAULT_CONVERSIONS_PER_MINUTE,
  DEFAULT_OUTBOX,
  DEFAULT_QUERY_LIMITS,
  DEFAULT_RETENTION_BATCH,
  DEFAULT_RETENTION_INTERVAL,
  DEFAULT_STORAGE_TIMEOUT,
  DEFAULT_SUBSCRIPTION_BUFFER,
  DEFAULT_WEBHOOK_PATH,
  type WhatsAppClicksConfig,
  WhatsAppClicksConfigError,
  type WhatsAppClicksModuleExtras,
  type WhatsAppClicksModuleOptions,
} from '../whatsapp-clicks.options.js';
import { BYTE_SIZE, ModuleExtrasSchema, ModuleOptionsSchema } from './module-options.schema.js';

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const EXTRA_KEYS = [
  'webhookPath',
  'dataSourceName',
  'isGlobal',
  'graphql',
  'ide',
  'conversionsPath',
  'dashboardPath',
  'dashboardGraphqlPath',
] as const;
// A forward URL may carry a password (amqp://user:pass@host); conversions holds API keys.
const SECRET_KEYS = new Set([
  'appSecret',
  'verifyToken',
  'forward',
  'conversions',
  'reconciliation',
]);

/** `1024`, `'512kb'`, `'3mb'` to bytes. */
export function parseByteSize(value: number | string, name = 'bodyLimit'): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? BYTE_SIZE.exec(value) : null;
  const bytes = match
    ? Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!)
    : 0;
  if (bytes > 0) return bytes;
  throw new WhatsAppClicksConfigError(
    `${name} ${JSON.stringify(value)} is not a positive size (bytes, or a string like '3mb')`,
  );
}

/** A value as an error message may show it: never a secret, never a whole object. */
function shown(property: string, value: unknown): string {
  if (SECRET_KEYS.has(property) && typeof value === 'string') return `a string of ${value.length}`;
  if (SECRET_KEYS.has(property) && Array.isArray(value)) return `an array of ${value.length}`;
  if (SECRET_KEYS.has(property) && typeof value === 'object' && value !== null) return 'an object';
  if (
    value === undefined ||
    value === null ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return String(value);
  }
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? typeof value;
  } catch {
    return `an object (${value.constructor?.name ?? 'no class'})`; // circular
  }
}

function problems(errors: ValidationError[], where: string): string[] {
  return errors.flatMap(({ property, value, constraints = {} }) => {
    if (constraints.whitelistValidation) {
      const extra = (EXTRA_KEYS as readonly string[]).includes(property);
      return [
        extra
          ? `"${property}" is an extra: give it beside useFactory (forRootAsync) or with the options (forRoot), not from the factory`
          : `"${property}" is not an option of ${where}`,
      ];
    }
    return Object.values(constraints).map(
      (message) => `option "${property}" ${message}, not ${shown(property, value)}`,
    );
  });
}

function fail(list: string[], where: string): never {
  throw new WhatsAppClicksConfigError(
    list.length === 1
      ? `${where}: ${list[0]}`
      : `${where}: invalid options:\n  - ${list.join('\n  - ')}`,
  );
}

/** The extras of one `forRoot`/`forRootAsync` call, checked, with their defaults. */
export function resolveExtras(given: WhatsAppClicksModuleExtras): Required<
  Omit<
    WhatsAppClicksModuleExtras,
    'dataSourceName' | 'conversionsPath' | 'dashboardPath' | 'dashboardGraphqlPath'
  >
> & {
  dataSourceName: string | undefined;
  conversionsPath: string | null;
  dashboard: { path: string; graphqlPath: string } | null;
} {
  const picked = Object.fromEntries(EXTRA_KEYS.map((key) => [key, given[key]]));
  const list = problems(
    validateSync(Object.assign(new ModuleExtrasSchema(), picked), { forbidUnknownValues: false }),
    'WhatsAppClicksModule',
  );
  if (given.ide && !given.graphql) list.push('option "ide" needs graphql: true');
  if (given.dashboardPath && !given.graphql)
    list.push('option "dashboardPath" needs graphql: true');
  if (list.length > 0) fail(list, 'WhatsAppClicksModule');
  return {
    webhookPath: given.webhookPath ?? DEFAULT_WEBHOOK_PATH,
    dataSourceName: given.dataSourceName,
    isGlobal: given.isGlobal ?? false,
    graphql: given.graphql ?? false,
    ide: given.ide ?? false,
    conversionsPath: given.conversionsPath ?? null,
    dashboard: given.dashboardPath
      ? { path: given.dashboardPath, graphqlPath: given.dashboardGraphqlPath ?? '/graphql' }
      : null,
  };
}

/** The options checked once at start-up (every problem in one error), with their defaults. */
export function resolveConfig(options: WhatsAppClicksModuleOptions): WhatsAppClicksConfig {
  const where = 'WhatsAppClicksModule';
  if (typeof options !== 'object' || options === null) {
    fail(
      [`the options must be an object with appSecret and verifyToken, not ${shown('', options)}`],
      where,
    );
  }
  const list = problems(
    validateSync(Object.assign(new ModuleOptionsSchema(), options), {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: false,
    }),
    where,
  );
  if (list.length > 0) fail(list, where);
  return {
    appSecrets:
      typeof options.appSecret === 'string' ? [options.appSecret] : [...options.appSecret],
    verifyToken: options.verifyToken,
    bodyLimitBytes: parseByteSize(options.bodyLimit ?? DEFAULT_BODY_LIMIT),
    authorize: options.authorize
      ? (context, businessAccountId) => options.authorize!(context, businessAccountId)
      : null,
    queryLimits:
      options.queryLimits === false ? null : { ...DEFAULT_QUERY_LIMITS, ...options.queryLimits },
    pubSub: options.pubSub ?? null,
    subscriptionBuffer: options.subscriptionBuffer ?? DEFAULT_SUBSCRIPTION_BUFFER,
    storageTimeoutMs: options.storageTimeout ?? DEFAULT_STORAGE_TIMEOUT,
    scans: {
      concurrency: options.scans?.concurrency ?? DEFAULT_SCAN_CONCURRENCY,
      timeoutMs: options.scans?.timeoutMs ?? DEFAULT_SCAN_TIMEOUT,
    },
    forward: options.forward ?? null,
    outbox: { ...DEFAULT_OUTBOX, ...options.outbox },
    metrics:
      options.metrics === true
        ? { registry: null }
        : options.metrics
          ? { registry: options.metrics.registry }
          : null,
    retention: options.retention
      ? {
          days: options.retention.days,
          perAccount: { ...options.retention.perAccount },
          rejectedDays: options.retention.rejectedDays ?? options.retention.days,
          intervalMs: options.retention.intervalMs ?? DEFAULT_RETENTION_INTERVAL,
          batchSize: options.retention.batchSize ?? DEFAULT_RETENTION_BATCH,
        }
      : null,
    archive:
      options.archive === true
        ? { days: null }
        : options.archive
          ? { days: options.archive.days }
          : null,
    reconciliation: options.reconciliation
      ? {
          accessToken: options.reconciliation.accessToken,
          businessAccountIds: [...options.reconciliation.businessAccountIds],
          templateIds: [...options.reconciliation.templateIds],
          baseUrl: options.reconciliation.graphApiUrl ?? 'https://graph.facebook.com/v21.0',
          days: options.reconciliation.days ?? 7,
          settleHours: options.reconciliation.settleHours ?? 48,
          intervalMs: options.reconciliation.intervalMs ?? 86_400_000,
          timeoutMs: options.reconciliation.timeoutMs ?? 10_000,
          schedule: options.reconciliation.schedule ?? true,
        }
      : null,
    conversions: {
      allowedOrigins: [...(options.conversions?.allowedOrigins ?? [])],
      apiKeys: [...(options.conversions?.apiKeys ?? [])],
      perMinute: options.conversions?.perMinute ?? DEFAULT_CONVERSIONS_PER_MINUTE,
    },
    authorizeAdmin: options.authorizeAdmin ? (context) => options.authorizeAdmin!(context) : null,
  };
}
