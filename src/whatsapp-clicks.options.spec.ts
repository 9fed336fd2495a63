import { PubSub } from 'graphql-subscriptions';
import { describe, expect, it } from 'vitest';
import {
  parseByteSize,
  resolveConfig,
  WhatsAppClicksConfigError,
} from './whatsapp-clicks.options.js';

describe('module options', () => {
  it('applies the 3 MB default and reads sizes', () => {
    expect(resolveConfig({ appSecret: 's', verifyToken: 't' })).toEqual({
      appSecret: 's',
      verifyToken: 't',
      bodyLimitBytes: 3 * 1024 * 1024,
      authorize: null,
      queryLimits: { maxDepth: 10, maxCost: 2000 },
      pubSub: expect.any(PubSub),
      subscriptionBuffer: 2000,
    });
    expect(
      resolveConfig({ appSecret: 's', verifyToken: 't', queryLimits: false }).queryLimits,
    ).toBeNull();
    expect(
      resolveConfig({ appSecret: 's', verifyToken: 't', queryLimits: { maxCost: 50 } }).queryLimits,
    ).toEqual({ maxDepth: 10, maxCost: 50 });
    expect(parseByteSize(1000)).toBe(1000);
    expect(parseByteSize('512kb')).toBe(512 * 1024);
    expect(parseByteSize(' 1.5 MB ')).toBe(1.5 * 1024 * 1024);
  });

  it.each([
    [{ verifyToken: 't' }, /"appSecret" is required/],
    [{ appSecret: '', verifyToken: 't' }, /"appSecret" is required/],
    [{ appSecret: 's' }, /"verifyToken" is required/],
    [{ appSecret: 's', verifyToken: 't', bodyLimit: 0 }, /bodyLimit 0 is not a positive size/],
    [{ appSecret: 's', verifyToken: 't', bodyLimit: 'big' }, /bodyLimit "big"/],
    [{ appSecret: 's', verifyToken: 't', bodyLimit: 1.5 }, /bodyLimit 1.5/],
    [{ appSecret: 's', verifyToken: 't', authorize: 'yes' }, /"authorize" must be a function/],
    [{ appSecret: 's', verifyToken: 't', queryLimits: { maxDepth: 0 } }, /queryLimits.maxDepth/],
    [{ appSecret: 's', verifyToken: 't', subscriptionBuffer: 0 }, /subscriptionBuffer must be/],
    [{ appSecret: 's', verifyToken: 't', pubSub: {} }, /"pubSub" must be a PubSubEngine/],
  ])('refuses %j with a message naming the option', (options, message) => {
    expect(() => resolveConfig(options as never)).toThrow(WhatsAppClicksConfigError);
    expect(() => resolveConfig(options as never)).toThrow(message);
  });
});
