import { createHash } from 'node:crypto';
import type { ClickAuthorizer } from '../src/index.js';

/** Accounts a key may read: a set of business account ids, or every account. */
export type KeyScope = ReadonlySet<string> | '*';

/** `key1=WABA_A|WABA_B,key2=*` to the scope of each key; throws naming the bad part. */
export function parseApiKeys(value: string): Map<string, KeyScope> {
  const keys = new Map<string, KeyScope>();
  for (const entry of value.split(',').map((part) => part.trim())) {
    const match = /^([^=\s]+)=(\*|[^=|\s]+(?:\|[^=|\s]+)*)$/.exec(entry);
    if (!match) {
      throw new Error(
        `CLICKS_API_KEYS entry "${entry}" is not key=ACCOUNT|ACCOUNT or key=* (entries separated by commas)`,
      );
    }
    const [, key, scope] = match as unknown as [string, string, string];
    if (keys.has(key)) throw new Error(`CLICKS_API_KEYS names a key twice`);
    keys.set(key, scope === '*' ? '*' : new Set(scope.split('|')));
  }
  return keys;
}

export const digest = (key: string) => createHash('sha256').update(key).digest('base64');

/** The bearer key of an HTTP request or a graphql-ws connection, if any. */
export function bearerKey(context: unknown): string | null {
  const ctx = context as {
    req?: { headers?: Record<string, string | string[] | undefined> };
    connectionParams?: Record<string, unknown>;
  } | null;
  const header =
    ctx?.req?.headers?.authorization ??
    ctx?.connectionParams?.authorization ??
    ctx?.connectionParams?.Authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/**
 * The standalone server's `authorize`: bearer keys scoped to accounts. Without keys, every
 * account is open (`anonymous: 'open'`) or every read is UNAUTHENTICATED (`'closed'`).
 */
export function apiKeyAuthorizer(
  keys: ReadonlyMap<string, KeyScope> | null,
  anonymous: 'open' | 'closed',
): ClickAuthorizer {
  if (keys === null) return () => (anonymous === 'open' ? true : 'unauthenticated');
  // Looked up by digest, so the comparison's timing says nothing about a key's characters.
  const scopes = new Map([...keys].map(([key, scope]) => [digest(key), scope]));
  return (context, businessAccountId) => {
    const key = bearerKey(context);
    const scope = key === null ? undefined : scopes.get(digest(key));
    if (scope === undefined) return 'unauthenticated';
    return scope === '*' || scope.has(businessAccountId);
  };
}

/**
 * The standalone server's `authorizeAdmin`: a bearer key of CLICKS_ADMIN_KEYS may; another
 * known key may not (FORBIDDEN); none or an unknown one is UNAUTHENTICATED.
 */
export function adminKeyAuthorizer(
  adminKeys: readonly string[],
  keys: ReadonlyMap<string, KeyScope> | null,
): (context: unknown) => boolean | 'unauthenticated' {
  const admins = new Set(adminKeys.map(digest));
  const readers = new Set([...(keys?.keys() ?? [])].map(digest));
  return (context) => {
    const key = bearerKey(context);
    if (key === null) return 'unauthenticated';
    const hashed = digest(key);
    if (admins.has(hashed)) return true;
    return readers.has(hashed) ? false : 'unauthenticated';
  };
}
