import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Min,
} from 'class-validator';
import { Satisfies } from './satisfies.decorator.js';

/** `1024`, or a size such as `'512kb'`, `'3mb'`: bytes, kb, mb or gb. */
export const BYTE_SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i;

const isFunction = (value: unknown) => typeof value === 'function';
const isPositiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) > 0;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNonEmptyString = (value: unknown) => typeof value === 'string' && value.length > 0;

/** The module's options, as class-validator checks them once at start-up. */
export class ModuleOptionsSchema {
  @IsDefined({ message: 'is required' })
  @Satisfies(
    (value) =>
      isNonEmptyString(value) ||
      (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString)),
    'must be a non-empty string, or a non-empty array of them (several secrets while rotating)',
  )
  appSecret!: unknown;

  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @IsNotEmpty({ message: 'must not be empty' })
  verifyToken!: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      typeof value === 'number'
        ? isPositiveInteger(value)
        : typeof value === 'string' && BYTE_SIZE.test(value),
    "must be a positive whole number of bytes or a size such as '3mb' or '512kb'",
  )
  bodyLimit?: unknown;

  @IsOptional()
  @Satisfies(
    isFunction,
    'must be a function (context, businessAccountId) => boolean | "unauthenticated"',
  )
  authorize?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      value === false ||
      (typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.entries(value).every(
          ([key, limit]) => ['maxDepth', 'maxCost'].includes(key) && isPositiveInteger(limit),
        )),
    'must be false, or { maxDepth?, maxCost? } with positive whole numbers',
  )
  queryLimits?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      ['publish', 'subscribe', 'unsubscribe'].every(
        (method) => typeof (value as Record<string, unknown>)[method] === 'function',
      ),
    'must be a PubSubEngine (publish, subscribe, unsubscribe), such as a RedisPubSub',
  )
  pubSub?: unknown;

  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: 'must be at least 1' })
  subscriptionBuffer?: unknown;

  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds' })
  @Min(1, { message: 'must be at least 1 ms' })
  storageTimeout?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      isObject(value) &&
      Object.entries(value).every(
        ([key, n]) => ['concurrency', 'timeoutMs'].includes(key) && isPositiveInteger(n),
      ),
    'must be { concurrency?, timeoutMs? } with positive whole numbers',
  )
  scans?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      (typeof value === 'string' && /^(nats|amqps?):\/\/\S+$/i.test(value)) ||
      (typeof value === 'object' &&
        value !== null &&
        typeof (value as Record<string, unknown>).send === 'function' &&
        typeof (value as Record<string, unknown>).name === 'string'),
    'must be a nats:// or amqp:// URL, or a ClickSink ({ name, send(clicks) })',
  )
  forward?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.entries(value).every(
        ([key, ms]) => ['leaseMs', 'pollIntervalMs'].includes(key) && isPositiveInteger(ms),
      ),
    'must be { leaseMs?, pollIntervalMs? } with positive whole numbers of ms',
  )
  outbox?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      typeof value === 'boolean' ||
      (isObject(value) &&
        Object.keys(value).length === 1 &&
        isObject(value.registry) &&
        typeof value.registry.registerMetric === 'function'),
    'must be true, false or { registry } with a prom-client Registry',
  )
  metrics?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      isObject(value) &&
      isPositiveInteger(value.days) &&
      Object.entries(value).every(([key, setting]) =>
        key === 'perAccount'
          ? isObject(setting) && Object.values(setting).every(isPositiveInteger)
          : ['days', 'rejectedDays', 'intervalMs', 'batchSize'].includes(key) &&
            isPositiveInteger(setting),
      ),
    'must be { days, perAccount?, rejectedDays?, intervalMs?, batchSize? } with positive whole numbers (perAccount: { [businessAccountId]: days })',
  )
  retention?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      typeof value === 'boolean' ||
      (isObject(value) && Object.keys(value).length === 1 && isPositiveInteger(value.days)),
    'must be true, false or { days } with a positive whole number of days',
  )
  archive?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      isObject(value) &&
      Object.entries(value).every(([key, setting]) =>
        key === 'perMinute'
          ? isPositiveInteger(setting)
          : ['allowedOrigins', 'apiKeys'].includes(key) &&
            isWordList(setting) &&
            (key !== 'allowedOrigins' ||
              setting.every((origin) => origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin))),
      ),
    "must be { allowedOrigins?: ['https://shop.example' or '*'], apiKeys?: [keys], perMinute? }",
  )
  conversions?: unknown;

  @IsOptional()
  @Satisfies(
    (value) =>
      isObject(value) &&
      typeof value.accessToken === 'string' &&
      value.accessToken.length > 0 &&
      isWordList(value.businessAccountIds) &&
      value.businessAccountIds.length > 0 &&
      isWordList(value.templateIds) &&
      value.templateIds.length > 0 &&
      Object.entries(value).every(([key, setting]) =>
        ['accessToken', 'businessAccountIds', 'templateIds'].includes(key)
          ? true
          : key === 'graphApiUrl'
            ? typeof setting === 'string' && /^https?:\/\/\S+$/.test(setting)
            : key === 'schedule'
              ? typeof setting === 'boolean'
              : ['days', 'settleHours', 'intervalMs', 'timeoutMs'].includes(key) &&
                isPositiveInteger(setting),
      ),
    'must be { accessToken, businessAccountIds: [..], templateIds: [..], graphApiUrl?, days?, settleHours?, intervalMs?, timeoutMs?, schedule? }',
  )
  reconciliation?: unknown;

  @IsOptional()
  @Satisfies(isFunction, 'must be a function (context) => boolean | "unauthenticated"')
  authorizeAdmin?: unknown;
}

/** An array of strings without spaces. */
function isWordList(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.every((item) => typeof item === 'string' && /^\S+$/.test(item))
  );
}

/** The extras, checked when `forRoot`/`forRootAsync` is called. */
export class ModuleExtrasSchema {
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(/^\/?[\w\-./:]+$/, { message: "must be a route such as 'webhooks/whatsapp'" })
  webhookPath?: unknown;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  dataSourceName?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  isGlobal?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  graphql?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  ide?: unknown;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(/^\/?[\w\-./:]+$/, {
    message: "must be a route such as 'webhooks/whatsapp/conversions'",
  })
  conversionsPath?: unknown;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(/^\/?[\w\-./:]+$/, { message: "must be a route such as 'dashboard'" })
  dashboardPath?: unknown;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @Matches(/^\/[\w\-./:]*$/, { message: "must be an absolute path such as '/graphql'" })
  dashboardGraphqlPath?: unknown;
}
