import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import {
  clickIdsIn,
  countQueued,
  type FunnelReads,
  keysIn,
  keysOf,
  sentIn,
  withoutClickId,
} from './funnel-count.js';
import { postgresFunnelStore, SqliteFunnelStore } from './funnel-state.js';

/** Queued rows per batch: ~20 ms on SQLite, whose batches hold the event loop. */
const SQLITE_BATCH = 1000;
const POSTGRES_BATCH = 2000;
/**
 * How often the counter looks for queued rows, unless its last batch was full: rows queued in
 * the meantime are counted together (a batch's cost is mostly per batch, not per row).
 */
const POLL_MS = 100;
const RETRY_MS = 1000;
const SHUTDOWN_WAIT_MS = 2000;
/** The PostgreSQL advisory lock of whoever counts into (or out of) the funnel rollups. */
const FUNNEL_LOCK = 7_270_231_911;

/**
 * Runs `work` in a REPEATABLE READ transaction while holding the funnel's session lock (taken
 * before the snapshot, so the snapshot sees everything counted before): one counter at a time
 * across instances, and retention's subtractions in between. `wait: false` gives up (null)
 * when another instance holds it.
 */
export async function withFunnelLock<T>(
  dataSource: DataSource,
  wait: boolean,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T | null> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [lock] = (await runner.query(
      wait ? 'SELECT true AS ok, pg_advisory_lock($1)' : 'SELECT pg_try_advisory_lock($1) AS ok',
      [FUNNEL_LOCK],
    )) as { ok: boolean }[];
    if (!lock?.ok) return null;
    try {
      await runner.startTransaction('REPEATABLE READ');
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [FUNNEL_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Counts queued rows (new clicks, conversions, `sent` events, and at first everything stored
 * before the funnel rollups) into the rollups, in batches, each batch and its dequeue in one
 * transaction: exactly once, whatever the order of arrival, and off the webhooks' path.
 */
@Injectable()
export class FunnelCounter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly postgres: boolean;
  private sqlite: SqliteFunnelStore | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  private get batchSize(): number {
    return this.postgres ? POSTGRES_BATCH : SQLITE_BATCH;
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /** Stops the loop and lets a batch in progress end, for at most 2 s. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Counts every queued row now (tests, benchmarks, a host's own schedule). */
  async countAll(): Promise<void> {
    while ((await this.step()) > 0);
  }

  /** Counts one batch; how many queued rows it counted (0: none, or the database is busy). */
  async step(): Promise<number> {
    if (this.postgres) {
      const counted = await withFunnelLock(this.dataSource, false, async (manager) => {
        const batch = await postgresFunnelStore.queued(manager, POSTGRES_BATCH);
        if (batch.length === 0) return 0;
        const clickIds = clickIdsIn(batch);
        const reads: FunnelReads = {
          states: await postgresFunnelStore.load(manager, keysIn(batch)),
          // A batch short of the limit is the whole queue this snapshot sees.
          pending:
            batch.length < POSTGRES_BATCH
              ? keysOf(batch)
              : await postgresFunnelStore.pending(manager, clickIds),
          linksWithoutClickId: await postgresFunnelStore.clicks(manager, withoutClickId(batch)),
          sent: await postgresFunnelStore.tracking(manager, sentIn(batch)),
        };
        await postgresFunnelStore.write(manager, countQueued(batch, reads));
        await postgresFunnelStore.dequeue(manager, batch);
        return batch.length;
      });
      return counted ?? 0;
    }
    const db = sqliteHandle(this.dataSource);
    // Not inside someone else's transaction on the shared connection: later.
    if (db.inTransaction) return 0;
    const store = (this.sqlite ??= new SqliteFunnelStore(db));
    const batch = db.transaction(() => {
      const queued = store.queued(SQLITE_BATCH);
      if (queued.length === 0) return 0;
      const clickIds = clickIdsIn(queued);
      const reads: FunnelReads = {
        states: store.load(keysIn(queued)),
        pending: queued.length < SQLITE_BATCH ? keysOf(queued) : store.pending(clickIds),
        linksWithoutClickId: store.clicks(withoutClickId(queued)),
        sent: store.tracking(sentIn(queued)),
      };
      store.write(countQueued(queued, reads));
      store.dequeue(queued);
      return queued.length;
    });
    return batch.immediate();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run().finally(() => (this.running = undefined));
    }, delay);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      const counted = await this.step();
      this.schedule(counted >= this.batchSize ? 0 : POLL_MS);
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(
        `Funnel: could not count queued rows (${error instanceof Error ? error.message : String(error)}); trying again in ${RETRY_MS} ms`,
      );
      this.schedule(RETRY_MS);
    }
  }
}
