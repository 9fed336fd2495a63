import { IsIn, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { Satisfies } from '../src/config/satisfies.decorator.js';

/** The environment of the standalone server (see the README's configuration table). */
export class ServerEnvironment {
  @IsOptional()
  @Satisfies(
    (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535,
    'PORT must be a port number from 0 to 65535',
  )
  PORT?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]+$/, { message: 'HOST must be an address such as 0.0.0.0, 127.0.0.1 or ::' })
  HOST?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], {
    message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace',
  })
  LOG_LEVEL?: string;

  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT?: string;

  @IsOptional()
  @Matches(/^\S{16,}$/, { message: 'METRICS_TOKEN must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_RETENTION_DAYS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_REJECTED_RETENTION_DAYS?: number;

  @IsOptional()
  @Matches(/^[^,=\s]+=[1-9]\d*(,[^,=\s]+=[1-9]\d*)*$/, {
    message:
      'CLICKS_RETENTION_DAYS_BY_ACCOUNT must be account=days pairs separated by commas, such as 1234=365,5678=30',
  })
  CLICKS_RETENTION_DAYS_BY_ACCOUNT?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'CLICKS_ARCHIVE must be true or false' })
  CLICKS_ARCHIVE?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_ARCHIVE_RETENTION_DAYS?: number;

  @IsOptional()
  @Matches(/^\S+$/, { message: 'CLICKS_RECONCILE_TOKEN must be a Graph API token without spaces' })
  CLICKS_RECONCILE_TOKEN?: string;

  @IsOptional()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, {
    message: 'CLICKS_RECONCILE_ACCOUNTS must be business account ids separated by commas',
  })
  CLICKS_RECONCILE_ACCOUNTS?: string;

  @IsOptional()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, {
    message: 'CLICKS_RECONCILE_TEMPLATES must be template ids separated by commas',
  })
  CLICKS_RECONCILE_TEMPLATES?: string;

  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'CLICKS_GRAPH_API_URL must be an http(s) URL' })
  CLICKS_GRAPH_API_URL?: string;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'CLICKS_CONVERSIONS must be true or false' })
  CLICKS_CONVERSIONS?: string;

  @IsOptional()
  @Matches(/^(\*|https?:\/\/[^/,\s]+)(,(\*|https?:\/\/[^/,\s]+))*$/, {
    message:
      'CLICKS_CONVERSIONS_ORIGINS must be origins such as https://shop.example (or *), separated by commas',
  })
  CLICKS_CONVERSIONS_ORIGINS?: string;

  @IsOptional()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, {
    message: 'CLICKS_CONVERSIONS_KEYS must be keys separated by commas, without spaces',
  })
  CLICKS_CONVERSIONS_KEYS?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_CONVERSIONS_PER_MINUTE?: number;

  @IsOptional()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, {
    message: 'CLICKS_ADMIN_KEYS must be keys separated by commas, without spaces',
  })
  CLICKS_ADMIN_KEYS?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[^,\s]+(,[^,\s]+)*$/, {
    message:
      'WHATSAPP_APP_SECRET must be one secret, or several separated by commas (while rotating), without spaces or empty ones',
  })
  WHATSAPP_APP_SECRET?: string;

  @IsOptional()
  @IsString()
  @Matches(/^\S+$/, { message: 'WHATSAPP_VERIFY_TOKEN must be one token without spaces' })
  WHATSAPP_VERIFY_TOKEN?: string;

  @IsOptional()
  @Matches(/^\s*\d+(\.\d+)?\s*(b|kb|mb|gb)?\s*$/i, {
    message: 'WHATSAPP_BODY_LIMIT must be a size such as 3mb or 500kb',
  })
  WHATSAPP_BODY_LIMIT?: string;

  @IsOptional()
  @Matches(/^(postgres(ql)?:\/\/.+|sqlite:.+)$/, {
    message: 'DATABASE_URL must be postgres://…, postgresql://…, sqlite:<path> or sqlite::memory:',
  })
  DATABASE_URL?: string;

  @IsOptional()
  @IsIn(['production', 'development', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be redis://… or rediss://…' })
  REDIS_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_SUBSCRIPTION_BUFFER?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_STORAGE_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_HTTP_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_SCAN_CONCURRENCY?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_SCAN_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_MAX_SOCKETS_PER_KEY?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET?: number;

  @IsOptional()
  @Matches(/^(nats|amqps?):\/\/\S+$/, {
    message: 'CLICKS_FORWARD_URL must be nats://host:port or amqp://user:pass@host:port',
  })
  CLICKS_FORWARD_URL?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  CLICKS_OUTBOX_LEASE_MS?: number;

  @IsOptional()
  @IsString()
  CLICKS_API_KEYS?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  CLICKS_ALLOW_ANONYMOUS?: string;
}
