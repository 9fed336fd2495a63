import { type INestApplication, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Stops the HTTP server (no new connections; every request already read is answered, busy
 * keep-alive connections get `Connection: close`) early in Nest's shutdown: after GraphQL closed
 * its websockets (a module nearer the root is destroyed later), before the module flushes its
 * outbox (beforeApplicationShutdown) and before the database closes. So the last deliveries'
 * clicks are handed on before the process exits, not after the next start.
 */
@Injectable()
export class HttpDrain implements OnModuleDestroy {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleDestroy(): Promise<void> {
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
