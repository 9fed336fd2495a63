import type { Context } from 'graphql-ws';
import { createRequire } from 'node:module';
import type { WebSocket } from 'ws';
import { bearerKey, digest, type KeyScope } from './api-keys.js';

// graphql-ws checks `instanceof GraphQLError` against graphql as Node resolves it (its CommonJS
// main); a bundler-style resolution (vitest's) may hand this file the .mjs build's class instead.
const { GraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** What one caller may hold open. */
export interface SocketLimits {
  /** Open graphql-ws sockets per API key (or for all anonymous callers together). */
  socketsPerKey: number;
  /** Active subscriptions on one socket. */
  subscriptionsPerSocket: number;
}

/** A socket closed because its `connection_init` carried no known key. */
const CLOSE_UNAUTHORIZED = 4401;
/** A socket closed because its key has too many open already. */
const CLOSE_TOO_MANY_SOCKETS = 4429;

type Extra = { socket: WebSocket; clicksCaller?: string };

/** The graphql-ws sockets open now, to close on shutdown before the HTTP server waits for them. */
export class OpenSockets {
  private readonly sockets = new Set<WebSocket>();

  add(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /**
   * Closes every socket with 1001 (going away: clients reconnect elsewhere, resuming with their
   * cursor), and ends those that have not finished the closing handshake after `graceMs`.
   */
  async closeAll(graceMs: number): Promise<void> {
    const open = [...this.sockets];
    if (open.length === 0) return;
    const closed = open.map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of open) socket.close(1001, 'Going away: the server is stopping');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const socket of this.sockets) socket.terminate();
        resolve();
      }, graceMs);
    });
    await Promise.race([Promise.all(closed), late]);
    clearTimeout(timer);
  }
}

/**
 * graphql-ws options for the standalone server: the key is checked at `connection_init`, so a
 * caller without one never holds a socket (closed 4401), and each key's sockets and each
 * socket's subscriptions are capped, so no caller can exhaust file descriptors or make a
 * webhook wait on thousands of subscribers. A socket that never sends `connection_init` is
 * closed after 3 s (graphql-ws's 4408).
 */
export function socketGuard(
  keys: ReadonlyMap<string, KeyScope> | null,
  anonymous: 'open' | 'closed',
  limits: SocketLimits,
  sockets: OpenSockets,
) {
  const open = new Map<string, number>();
  // Keys are looked up by digest, as the authorizer does: no timing on a key's characters.
  const known = new Set([...(keys?.keys() ?? [])].map(digest));
  const callerOf = (ctx: Context): string | null => {
    if (keys === null) return anonymous === 'open' ? 'anonymous' : null;
    const key = bearerKey({ connectionParams: ctx.connectionParams ?? {} });
    const hashed = key === null ? null : digest(key);
    return hashed !== null && known.has(hashed) ? hashed : null;
  };
  return {
    connectionInitWaitTimeout: 3000,
    onConnect(ctx: Context) {
      const caller = callerOf(ctx);
      const extra = ctx.extra as Extra;
      const { socket } = extra;
      if (caller === null) {
        socket.close(
          CLOSE_UNAUTHORIZED,
          'Unauthorized: connectionParams.authorization needs a known key',
        );
        return false;
      }
      const count = open.get(caller) ?? 0;
      if (count >= limits.socketsPerKey) {
        socket.close(
          CLOSE_TOO_MANY_SOCKETS,
          `Too many sockets: at most ${limits.socketsPerKey} per key`,
        );
        return false;
      }
      open.set(caller, count + 1);
      extra.clicksCaller = caller;
      sockets.add(socket);
      return true;
    },
    onDisconnect(ctx: Context) {
      const caller = (ctx.extra as Extra).clicksCaller;
      if (caller === undefined) return;
      const left = (open.get(caller) ?? 1) - 1;
      if (left > 0) open.set(caller, left);
      else open.delete(caller);
    },
    onSubscribe(ctx: Context) {
      // The new subscription is already counted in ctx.subscriptions when this runs.
      if (Object.keys(ctx.subscriptions).length <= limits.subscriptionsPerSocket) return undefined;
      return [
        new GraphQLError(
          `at most ${limits.subscriptionsPerSocket} subscriptions on one socket; open another socket or end one`,
          { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
        ),
      ];
    },
  };
}
