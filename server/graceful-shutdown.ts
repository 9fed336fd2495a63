import { type INestApplication, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OpenSockets } from './socket-guard.js';

/** How long a websocket may take to answer the server's close before it is ended. */
const WEBSOCKET_GRACE_MS = 2_000;

/**
 * Closes the websockets, then stops the HTTP server (no new connections; every request already
 * read is answered, busy keep-alive connections get `Connection: close`), first in Nest's
 * shutdown: Nest destroys the root module (this one) before GraphQL's, whose own close of the
 * websockets would come too late, as the HTTP server waits for every open socket. Before the
 * module flushes its outbox (beforeApplicationShutdown) and before the database closes, so the
 * last deliveries' clicks are handed on before the process exits, not after the next start.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly sockets: OpenSockets,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.sockets.closeAll(WEBSOCKET_GRACE_MS);
    await this.adapterHost.httpAdapter?.close();
  }
}

/** How long a stop may take in all: the contract's 10 s, with room to exit. */
const STOP_WITHIN_MS = 9_000;

/**
 * SIGTERM and SIGINT close the app and exit 0, or 1 when it did not close within 9 s. Instead of
 * Nest's `enableShutdownHooks()`, which re-raises the signal, so the exit status is the signal's.
 */
export function closeOnSignals(app: INestApplication, logger = new Logger('Server')): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: stopping (answering what was read, handing pending clicks on)`);
    const started = Date.now();
    const deadline = setTimeout(() => {
      logger.error(`not stopped within ${STOP_WITHIN_MS} ms: exiting anyway`);
      process.exit(1);
    }, STOP_WITHIN_MS);
    deadline.unref();
    app.close().then(
      () => {
        clearTimeout(deadline);
        logger.log(`stopped in ${Date.now() - started} ms`);
        process.exitCode = 0;
        // A client library's socket left open must not hold the exit.
        setTimeout(() => process.exit(0), 500).unref();
      },
      (error: unknown) => {
        logger.error(`stopping failed: ${error instanceof Error ? error.stack : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}
