import { describe, expect, it } from 'vitest';
import {
  dataSourceOptions,
  DEV_APP_SECRET,
  DEV_VERIFY_TOKEN,
  loadServerConfig,
  ServerConfigError,
} from './server-config.js';

describe('loadServerConfig', () => {
  it('starts in development on defaults, and says which', () => {
    expect(loadServerConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      production: false,
      log: { level: 'info', format: 'pretty' },
      metricsToken: null,
      retentionDays: null,
      rejectedRetentionDays: null,
      retentionByAccount: {},
      archive: null,
      conversions: null,
      reconciliation: null,
      adminKeys: [],
      appSecrets: [DEV_APP_SECRET],
      verifyToken: DEV_VERIFY_TOKEN,
      bodyLimit: '3mb',
      databaseUrl: 'sqlite:./data/clicks.sqlite',
      redisUrl: null,
      subscriptionBuffer: 2000,
      storageTimeoutMs: 10_000,
      scans: {},
      forwardUrl: null,
      outboxLeaseMs: 30_000,
      socketLimits: { socketsPerKey: 1000, subscriptionsPerSocket: 100 },
      httpTimeoutMs: 30_000,
      apiKeys: null,
      anonymous: 'open',
      devDefaults: [
        `WHATSAPP_APP_SECRET=${DEV_APP_SECRET}`,
        `WHATSAPP_VERIFY_TOKEN=${DEV_VERIFY_TOKEN}`,
      ],
    });
  });

  it('reads every variable', () => {
    expect(
      loadServerConfig({
        PORT: '8080',
        WHATSAPP_APP_SECRET: 's',
        WHATSAPP_VERIFY_TOKEN: 't',
        WHATSAPP_BODY_LIMIT: '5mb',
        DATABASE_URL: 'postgresql://u@db/clicks',
        NODE_ENV: 'production',
        CLICKS_API_KEYS: 'k=*',
        REDIS_URL: 'redis://cache:6379',
        CLICKS_SUBSCRIPTION_BUFFER: '50',
        CLICKS_STORAGE_TIMEOUT_MS: '2500',
        CLICKS_SCAN_CONCURRENCY: '3',
        CLICKS_SCAN_TIMEOUT_MS: '5000',
        CLICKS_FORWARD_URL: 'amqp://u:p@mq:5672',
        CLICKS_OUTBOX_LEASE_MS: '5000',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'debug',
        METRICS_TOKEN: 'a-token-of-20-chars!',
        CLICKS_RETENTION_DAYS: '90',
        CLICKS_REJECTED_RETENTION_DAYS: '30',
        CLICKS_RETENTION_DAYS_BY_ACCOUNT: '1234=365,wa-5678=7',
        CLICKS_ARCHIVE: 'true',
        CLICKS_ARCHIVE_RETENTION_DAYS: '14',
        CLICKS_CONVERSIONS: 'true',
        CLICKS_CONVERSIONS_ORIGINS: 'https://shop.example,https://m.shop.example',
        CLICKS_CONVERSIONS_KEYS: 'conv1',
        CLICKS_RECONCILE_TOKEN: 'graph-token',
        CLICKS_RECONCILE_ACCOUNTS: '1234',
        CLICKS_RECONCILE_TEMPLATES: 't1,t2',
        CLICKS_ADMIN_KEYS: 'admin1,admin2',
      }),
    ).toEqual({
      port: 8080,
      host: '127.0.0.1',
      production: true,
      log: { level: 'debug', format: 'json' },
      metricsToken: 'a-token-of-20-chars!',
      retentionDays: 90,
      rejectedRetentionDays: 30,
      retentionByAccount: { '1234': 365, 'wa-5678': 7 },
      archive: { days: 14 },
      reconciliation: {
        accessToken: 'graph-token',
        businessAccountIds: ['1234'],
        templateIds: ['t1', 't2'],
      },
      conversions: {
        allowedOrigins: ['https://shop.example', 'https://m.shop.example'],
        apiKeys: ['conv1'],
        perMinute: 60,
      },
      adminKeys: ['admin1', 'admin2'],
      appSecrets: ['s'],
      verifyToken: 't',
      bodyLimit: '5mb',
      databaseUrl: 'postgresql://u@db/clicks',
      redisUrl: 'redis://cache:6379',
      subscriptionBuffer: 50,
      storageTimeoutMs: 2500,
      scans: { concurrency: 3, timeoutMs: 5000 },
      forwardUrl: 'amqp://u:p@mq:5672',
      outboxLeaseMs: 5000,
      socketLimits: { socketsPerKey: 1000, subscriptionsPerSocket: 100 },
      httpTimeoutMs: 30_000,
      apiKeys: new Map([
        ['k', '*'],
        ['admin1', '*'],
        ['admin2', '*'],
      ]),
      anonymous: 'closed',
      devDefaults: [],
    });
  });

  it('says one thing per bad variable: PORT=abc, LOG_LEVEL, retention', () => {
    const message = (env: Record<string, string>) => {
      try {
        loadServerConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message({ PORT: 'abc' })).toBe(
      'invalid configuration:\n  - PORT must be a port number from 0 to 65535',
    );
    expect(message({ LOG_LEVEL: 'loud' })).toContain('LOG_LEVEL must be one of fatal');
    expect(message({ METRICS_TOKEN: 'short' })).toContain('METRICS_TOKEN must be at least 16');
    expect(message({ CLICKS_RETENTION_DAYS: '0' })).toContain('CLICKS_RETENTION_DAYS');
    expect(message({ CLICKS_REJECTED_RETENTION_DAYS: '5' })).toContain(
      'CLICKS_REJECTED_RETENTION_DAYS needs CLICKS_RETENTION_DAYS',
    );
    expect(
      message({ CLICKS_RETENTION_DAYS: '30', CLICKS_RETENTION_DAYS_BY_ACCOUNT: '1234:365' }),
    ).toContain('CLICKS_RETENTION_DAYS_BY_ACCOUNT must be account=days pairs');
    expect(message({ CLICKS_RETENTION_DAYS_BY_ACCOUNT: '1234=365' })).toContain(
      'CLICKS_RETENTION_DAYS_BY_ACCOUNT needs CLICKS_RETENTION_DAYS',
    );
    expect(
      message({ CLICKS_CONVERSIONS: 'true', CLICKS_CONVERSIONS_ORIGINS: 'shop.example' }),
    ).toContain('CLICKS_CONVERSIONS_ORIGINS must be origins');
    expect(message({ CLICKS_CONVERSIONS_KEYS: 'k' })).toContain(
      'CLICKS_CONVERSIONS_KEYS needs CLICKS_CONVERSIONS=true',
    );
    expect(message({ CLICKS_RECONCILE_TOKEN: 'x' })).toContain(
      'CLICKS_RECONCILE_TOKEN, CLICKS_RECONCILE_ACCOUNTS and CLICKS_RECONCILE_TEMPLATES go together',
    );
    expect(message({ CLICKS_ARCHIVE: 'yes' })).toContain('CLICKS_ARCHIVE must be true or false');
    expect(message({ CLICKS_ARCHIVE_RETENTION_DAYS: '14' })).toContain(
      'CLICKS_ARCHIVE_RETENTION_DAYS needs CLICKS_ARCHIVE=true',
    );
  });

  it('archives without a retention of its own when only CLICKS_ARCHIVE is set', () => {
    expect(loadServerConfig({ CLICKS_ARCHIVE: 'true' })).toMatchObject({
      archive: { days: null },
      retentionByAccount: {},
    });
    expect(loadServerConfig({ CLICKS_ARCHIVE: 'false' }).archive).toBeNull();
  });

  it('refuses the public development secret and token in production', () => {
    const production = { NODE_ENV: 'production', WHATSAPP_VERIFY_TOKEN: 't' };
    expect(() =>
      loadServerConfig({ ...production, WHATSAPP_APP_SECRET: `new,${DEV_APP_SECRET}` }),
    ).toThrow(/WHATSAPP_APP_SECRET must not be the public development secret in production/);
    expect(() =>
      loadServerConfig({
        ...production,
        WHATSAPP_APP_SECRET: 's',
        WHATSAPP_VERIFY_TOKEN: DEV_VERIFY_TOKEN,
      }),
    ).toThrow(/WHATSAPP_VERIFY_TOKEN must not be the public development token in production/);
    expect(() => loadServerConfig({ ...production, WHATSAPP_APP_SECRET: '  ' })).toThrow(
      /WHATSAPP_APP_SECRET must be one secret/,
    );
  });

  it('reads several comma-separated app secrets, for a rotation', () => {
    expect(loadServerConfig({ WHATSAPP_APP_SECRET: 'new-secret,old-secret' }).appSecrets).toEqual([
      'new-secret',
      'old-secret',
    ]);
  });

  it('refuses to start in production without a secret and a verify token, naming both', () => {
    expect(() => loadServerConfig({ NODE_ENV: 'production', WHATSAPP_APP_SECRET: '' })).toThrow(
      ServerConfigError,
    );
    expect(() => loadServerConfig({ NODE_ENV: 'production' })).toThrow(
      /WHATSAPP_APP_SECRET is required when NODE_ENV=production[\s\S]*WHATSAPP_VERIFY_TOKEN is required/,
    );
  });

  it.each([
    ['PORT', 'abc', /PORT/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be/],
    ['WHATSAPP_BODY_LIMIT', 'lots', /WHATSAPP_BODY_LIMIT must be a size/],
    ['NODE_ENV', 'staging', /NODE_ENV/],
    ['CLICKS_API_KEYS', 'k1', /CLICKS_API_KEYS entry "k1"/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must be/],
    ['CLICKS_SUBSCRIPTION_BUFFER', '0', /CLICKS_SUBSCRIPTION_BUFFER/],
    ['CLICKS_ALLOW_ANONYMOUS', 'yes', /CLICKS_ALLOW_ANONYMOUS/],
    ['CLICKS_STORAGE_TIMEOUT_MS', '0', /CLICKS_STORAGE_TIMEOUT_MS/],
    ['CLICKS_HTTP_TIMEOUT_MS', 'soon', /CLICKS_HTTP_TIMEOUT_MS/],
    ['CLICKS_SCAN_CONCURRENCY', '0', /CLICKS_SCAN_CONCURRENCY/],
    ['CLICKS_SCAN_TIMEOUT_MS', '1.5', /CLICKS_SCAN_TIMEOUT_MS/],
    [
      'CLICKS_FORWARD_URL',
      'kafka://broker:9092',
      /CLICKS_FORWARD_URL must be nats:\/\/host:port or amqp/,
    ],
    ['CLICKS_OUTBOX_LEASE_MS', '0', /CLICKS_OUTBOX_LEASE_MS/],
    ['CLICKS_MAX_SOCKETS_PER_KEY', '0', /CLICKS_MAX_SOCKETS_PER_KEY/],
    ['CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET', '-1', /CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET/],
    ['WHATSAPP_VERIFY_TOKEN', '   ', /WHATSAPP_VERIFY_TOKEN must be one token without spaces/],
    [
      'WHATSAPP_APP_SECRET',
      'new,,old',
      /WHATSAPP_APP_SECRET must be one secret, or several separated by commas/,
    ],
    ['WHATSAPP_APP_SECRET', 'new, old', /WHATSAPP_APP_SECRET must be one secret/],
    ['CLICKS_API_KEYS', 'k=a,k=b', /CLICKS_API_KEYS names a key twice/],
  ])('names a bad %s', (name, value, message) => {
    expect(() => loadServerConfig({ [name]: value })).toThrow(message);
  });
});

it('closes GraphQL in production without keys, unless anonymous access is allowed', () => {
  const production = {
    NODE_ENV: 'production',
    WHATSAPP_APP_SECRET: 's',
    WHATSAPP_VERIFY_TOKEN: 't',
  };
  expect(loadServerConfig(production).anonymous).toBe('closed');
  expect(loadServerConfig({ ...production, CLICKS_ALLOW_ANONYMOUS: 'true' }).anonymous).toBe(
    'open',
  );
  expect(loadServerConfig({ CLICKS_ALLOW_ANONYMOUS: 'false' }).anonymous).toBe('open');
});

describe('dataSourceOptions', () => {
  it('maps sqlite: paths, :memory: and postgres URLs, never synchronizing', () => {
    expect(dataSourceOptions('sqlite:./x.db')).toMatchObject({
      type: 'better-sqlite3',
      database: './x.db',
      enableWAL: true,
      synchronize: false,
    });
    expect(dataSourceOptions('sqlite::memory:')).toMatchObject({ database: ':memory:' });
    expect(dataSourceOptions('postgres://u@h/d')).toMatchObject({
      type: 'postgres',
      url: 'postgres://u@h/d',
    });
    expect(() => dataSourceOptions('mysql://u@h/d')).toThrow(ServerConfigError);
  });
});
