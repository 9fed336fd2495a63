import { availableParallelism } from 'node:os';
import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { betterSqlitePath, sqliteFile } from '../storage/sqlite-connection.js';
import { ScanSlots } from './scan-slots.js';
import { SqliteScanWorkers } from './sqlite-scan-workers.js';

/**
 * Where the reads that scan stored clicks run (statistics and pages the rollups cannot answer:
 * a MINUTE timeseries, two filters, a rare product in a large account). SQL and positional
 * parameters in, raw rows out. Such a read can take a core for a while, however well the query
 * is limited in shape; so at most `concurrency` run at once, and on SQLite not on the event loop.
 */
export interface ClickScans {
  rows<T>(sql: string, parameters: readonly unknown[]): Promise<T[]>;
  /** Scans waiting for a turn. */
  readonly queued: number;
  /** Stops the worker threads, if any (Nest calls it at shutdown). */
  onApplicationShutdown(): Promise<void>;
}

/** The module's `ClickScans` (a provider token). */
export const CLICK_SCANS = Symbol('WhatsAppClicks.scans');

export interface ScanOptions {
  concurrency: number;
  timeoutMs: number;
}

/** Scans per process by default: half the cores, so that webhooks always keep some. */
export const DEFAULT_SCAN_CONCURRENCY = Math.max(1, Math.floor(availableParallelism() / 2));
export const DEFAULT_SCAN_TIMEOUT = 30_000;

/** Scans through the data source's own connections, `concurrency` at a time (PostgreSQL). */
export class TurnTakingScans implements ClickScans {
  private readonly slots: ScanSlots;

  constructor(
    private readonly dataSource: DataSource,
    concurrency: number,
  ) {
    this.slots = new ScanSlots(concurrency);
  }

  get queued(): number {
    return this.slots.queued;
  }

  rows<T>(sql: string, parameters: readonly unknown[]): Promise<T[]> {
    return this.slots.run(() => this.dataSource.query<T[]>(sql, [...parameters]));
  }

  async onApplicationShutdown(): Promise<void> {}
}

/**
 * The scans for a data source: worker threads for a SQLite file in WAL mode (each its own
 * read-only connection; a rollback journal would make the writer wait for them), turns on the
 * data source's connections otherwise (PostgreSQL; SQLite in memory or without WAL, on the loop).
 */
export async function scansFor(
  dataSource: DataSource,
  options: ScanOptions,
  logger: Logger,
): Promise<ClickScans> {
  const file = sqliteFile(dataSource);
  if (file === null) return new TurnTakingScans(dataSource, options.concurrency);
  const mode = await dataSource.query<{ journal_mode: string }[]>('PRAGMA journal_mode');
  if (mode[0]?.journal_mode?.toLowerCase() !== 'wal') {
    logger.warn(
      'SQLite is not in WAL mode (enableWAL: true): statistics that scan clicks run on the event loop, and webhooks wait for them',
    );
    return new TurnTakingScans(dataSource, options.concurrency);
  }
  let workers: SqliteScanWorkers | undefined;
  try {
    workers = new SqliteScanWorkers(
      file,
      betterSqlitePath(),
      options.concurrency,
      options.timeoutMs,
    );
    await workers.start();
    return workers;
  } catch (error) {
    await workers?.onApplicationShutdown();
    logger.warn(
      `SQLite scans run on the event loop: a worker thread could not open ${file} (${(error as Error).message})`,
    );
    return new TurnTakingScans(dataSource, options.concurrency);
  }
}
