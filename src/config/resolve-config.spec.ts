import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN_CONCURRENCY } from '../scans/click-scans.js';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';
import { parseByteSize, resolveConfig, resolveExtras } from './resolve-config.js';

const base = { appSecret: 's', verifyToken: 't' };

function circular(): object {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}

describe('module options', () => {
  it('applies the defaults and reads sizes', () => {
    expect(resolveConfig(base)).toEqual({
      appSecrets: ['s'],
      verifyToken: 't',
      bodyLimitBytes: 3 * 1024 * 1024,
      authorize: null,
      queryLimits: { maxDepth: 10, maxCost: 2000 },
      pubSub: null,
      subscriptionBuffer: 2000,
      storageTimeoutMs: 10_000,
      scans: { concurrency: DEFAULT_SCAN_CONCURRENCY, timeoutMs: 30_000 },
      forward: null,
      outbox: { leaseMs: 30_000, pollIntervalMs: 1000 },
      metrics: null,
      retention: null,
      archive: null,
      conversions: { allowedOrigins: [], apiKeys: [], perMinute: 60 },
      reconciliation: null,
      authorizeAdmin: null,
    });
    expect(
      resolveConfig({
        ...base,
        conversions: { allowedOrigins: ['https://shop.example'], apiKeys: ['k'], perMinute: 5 },
      }).conversions,
    ).toEqual({ allowedOrigins: ['https://shop.example'], apiKeys: ['k'], perMinute: 5 });
    expect(resolveConfig({ ...base, scans: { concurrency: 4 } }).scans).toEqual({
      concurrency: 4,
      timeoutMs: 30_000,
    });
    expect(resolveConfig({ ...base, archive: true }).archive).toEqual({ days: null });
    expect(resolveConfig({ ...base, archive: { days: 14 } }).archive).toEqual({ days: 14 });
    expect(resolveConfig({ ...base, archive: false }).archive).toBeNull();
    expect(resolveConfig({ ...base, metrics: true }).metrics).toEqual({ registry: null });
    expect(
      resolveConfig({ ...base, retention: { days: 30, perAccount: { A: 365 } } }).retention,
    ).toEqual({
      days: 30,
      perAccount: { A: 365 },
      rejectedDays: 30,
      intervalMs: 3_600_000,
      batchSize: 1000,
    });
    expect(resolveConfig({ ...base, outbox: { leaseMs: 500 } }).outbox).toEqual({
      leaseMs: 500,
      pollIntervalMs: 1000,
    });
    expect(resolveConfig({ ...base, appSecret: ['new', 'old'] }).appSecrets).toEqual([
      'new',
      'old',
    ]);
    expect(resolveConfig({ ...base, queryLimits: false }).queryLimits).toBeNull();
    expect(resolveConfig({ ...base, queryLimits: { maxCost: 50 } }).queryLimits).toEqual({
      maxDepth: 10,
      maxCost: 50,
    });
    expect(parseByteSize(1000)).toBe(1000);
    expect(parseByteSize('512kb')).toBe(512 * 1024);
    expect(parseByteSize(' 1.5 MB ')).toBe(1.5 * 1024 * 1024);
  });

  it('calls the authorize option as the host wrote it', async () => {
    const config = resolveConfig({
      ...base,
      authorize: (context: { user?: string }, account) => context.user === account,
    });
    expect(await config.authorize!({ user: 'waba' }, 'waba')).toBe(true);
    expect(await config.authorize!({ user: 'other' }, 'waba')).toBe(false);
  });

  it.each([
    [{ verifyToken: 't' }, /option "appSecret" is required/],
    [
      { appSecret: '', verifyToken: 't' },
      /option "appSecret" must be a non-empty string.*not a string of 0/,
    ],
    [{ appSecret: ['a', ''], verifyToken: 't' }, /option "appSecret" .*not an array of 2/],
    [{ appSecret: 42, verifyToken: 't' }, /option "appSecret" must be a non-empty string/],
    [{ appSecret: 's' }, /option "verifyToken" is required/],
    [{ appSecret: 's', verifyToken: 7 }, /option "verifyToken" must be a string, not 7/],
    [{ ...base, bodyLimit: 0 }, /option "bodyLimit" must be a positive whole number .*not 0/],
    [{ ...base, bodyLimit: 'big' }, /option "bodyLimit" .*not "big"/],
    [{ ...base, bodyLimit: 1.5 }, /option "bodyLimit" .*not 1.5/],
    [{ ...base, authorize: 'yes' }, /option "authorize" must be a function.*not "yes"/],
    [
      { ...base, queryLimits: { maxDepth: 0 } },
      /option "queryLimits" must be false, or \{ maxDepth\?, maxCost\? \}.*not \{"maxDepth":0\}/,
    ],
    [{ ...base, queryLimits: { depth: 5 } }, /option "queryLimits"/],
    [{ ...base, queryLimits: true }, /option "queryLimits" .*not true/],
    [{ ...base, subscriptionBuffer: 0 }, /option "subscriptionBuffer" must be at least 1, not 0/],
    [
      { ...base, subscriptionBuffer: 2.5 },
      /option "subscriptionBuffer" must be a whole number, not 2.5/,
    ],
    [{ ...base, pubSub: {} }, /option "pubSub" must be a PubSubEngine/],
    [{ ...base, storageTimeout: 0 }, /option "storageTimeout" must be at least 1 ms, not 0/],
    [
      { ...base, scans: { concurrency: 0 } },
      /option "scans" must be \{ concurrency\?, timeoutMs\? \}/,
    ],
    [{ ...base, scans: { workers: 2 } }, /option "scans" must be/],
    [
      { ...base, forward: 'kafka://guest:secret@broker:9092' },
      /option "forward" must be a nats:\/\/ or amqp:\/\/ URL, or a ClickSink.*not a string of 32/,
    ],
    [{ ...base, forward: { send: () => undefined } }, /option "forward" must be .*ClickSink/],
    [
      { ...base, outbox: { leaseMs: 0 } },
      /option "outbox" must be \{ leaseMs\?, pollIntervalMs\? \}/,
    ],
    [{ ...base, outbox: { lease: 5 } }, /option "outbox"/],
    [{ ...base, metrics: 'yes' }, /option "metrics" must be true, false or \{ registry \}/],
    [{ ...base, metrics: { registry: {} } }, /option "metrics"/],
    [{ ...base, retention: { days: 0 } }, /option "retention" must be \{ days, perAccount\?/],
    [{ ...base, retention: { days: 30, perAccount: { A: -1 } } }, /option "retention"/],
    [{ ...base, retention: { days: 30, keep: 1 } }, /option "retention"/],
    [{ ...base, authorizeAdmin: true }, /option "authorizeAdmin" must be a function/],
    [{ ...base, archive: { days: 0 } }, /option "archive" must be true, false or \{ days \}/],
    [{ ...base, archive: 'yes' }, /option "archive" must be true, false or \{ days \}/],
    [
      { ...base, conversions: { allowedOrigins: ['shop.example'] } },
      /option "conversions" must be/,
    ],
    [{ ...base, conversions: { apiKeys: 'k' } }, /option "conversions" must be/],
    [
      { ...base, reconciliation: { accessToken: 't', businessAccountIds: [], templateIds: ['x'] } },
      /option "reconciliation" must be \{ accessToken, businessAccountIds/,
    ],
    [{ ...base, bodylimit: '1mb' }, /"bodylimit" is not an option of WhatsAppClicksModule/],
    [{ ...base, graphql: true }, /"graphql" is an extra: give it beside useFactory/],
    [null, /the options must be an object with appSecret and verifyToken, not null/],
    [{ ...base, queryLimits: circular() }, /option "queryLimits" .*not an object \(Object\)/],
  ])('refuses %j with a message naming the option', (options, message) => {
    expect(() => resolveConfig(options as never)).toThrow(WhatsAppClicksConfigError);
    expect(() => resolveConfig(options as never)).toThrow(message);
  });

  it('lists every problem at once, and never shows a secret', () => {
    let message = '';
    try {
      resolveConfig({ appSecret: ['top-secret-value', ''], verifyToken: '', bodyLimit: -1 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/invalid options:/);
    expect(message).toMatch(/"appSecret"/);
    expect(message).toMatch(/"verifyToken"/);
    expect(message).toMatch(/"bodyLimit"/);
    expect(message).not.toContain('top-secret-value');
  });
});

describe('module extras', () => {
  it('applies the defaults', () => {
    expect(resolveExtras({})).toEqual({
      webhookPath: 'webhooks/whatsapp',
      dataSourceName: undefined,
      isGlobal: false,
      graphql: false,
      ide: false,
      conversionsPath: null,
      dashboard: null,
    });
    expect(resolveExtras({ graphql: true, dashboardPath: 'dash' }).dashboard).toEqual({
      path: 'dash',
      graphqlPath: '/graphql',
    });
  });

  it.each([
    [{ webhookPath: 42 }, /option "webhookPath" must be a string, not 42/],
    [{ webhookPath: 'hooks wa' }, /option "webhookPath" must be a route/],
    [{ graphql: 'yes' }, /option "graphql" must be true or false, not "yes"/],
    [{ isGlobal: 1 }, /option "isGlobal" must be true or false, not 1/],
    [{ dataSourceName: {} }, /option "dataSourceName" must be a string/],
    [{ ide: true }, /option "ide" needs graphql: true/],
    [{ conversionsPath: 'a path' }, /option "conversionsPath" must be a route/],
    [{ dashboardPath: 'dashboard' }, /option "dashboardPath" needs graphql: true/],
    [
      { graphql: true, dashboardPath: 'dashboard', dashboardGraphqlPath: 'graphql' },
      /option "dashboardGraphqlPath" must be an absolute path/,
    ],
  ])('refuses %j with a message naming the extra', (extras, message) => {
    expect(() => resolveExtras(extras as never)).toThrow(message);
  });
});
