import { describe, expect, it } from 'vitest';
import { apiKeyAuthorizer, bearerKey, parseApiKeys } from './api-keys.js';

describe('API keys', () => {
  it('parses keys scoped to accounts or to all', () => {
    const keys = parseApiKeys('k1=WABA_A|WABA_B, k2=*');
    expect(keys.get('k1')).toEqual(new Set(['WABA_A', 'WABA_B']));
    expect(keys.get('k2')).toBe('*');
  });

  it.each(['k1', 'k1=', '=A', 'k1=A|', 'k1=A,k1=B', 'k 1=A', 'k1=A=B'])(
    'refuses %j, naming it',
    (value) => {
      expect(() => parseApiKeys(value)).toThrow(/CLICKS_API_KEYS/);
    },
  );

  it('reads the bearer key from HTTP headers and graphql-ws connection params', () => {
    expect(bearerKey({ req: { headers: { authorization: 'Bearer abc' } } })).toBe('abc');
    expect(bearerKey({ connectionParams: { authorization: 'bearer abc' } })).toBe('abc');
    expect(bearerKey({ connectionParams: { Authorization: 'Bearer abc' } })).toBe('abc');
    expect(bearerKey({ req: { headers: { authorization: 'Basic abc' } } })).toBeNull();
    expect(bearerKey({})).toBeNull();
    expect(bearerKey(null)).toBeNull();
  });

  it('allows in scope, forbids outside, and knows no unknown key', async () => {
    const authorize = apiKeyAuthorizer(parseApiKeys('a=A,all=*'), 'closed');
    const as = (key: string) => ({ req: { headers: { authorization: `Bearer ${key}` } } });
    expect(await authorize(as('a'), 'A')).toBe(true);
    expect(await authorize(as('a'), 'B')).toBe(false);
    expect(await authorize(as('all'), 'B')).toBe(true);
    expect(await authorize(as('nope'), 'A')).toBe('unauthenticated');
    expect(await authorize({}, 'A')).toBe('unauthenticated');
  });

  it('without keys, is open or closed to everyone as configured', async () => {
    expect(await apiKeyAuthorizer(null, 'open')({}, 'A')).toBe(true);
    expect(await apiKeyAuthorizer(null, 'closed')({}, 'A')).toBe('unauthenticated');
  });
});
