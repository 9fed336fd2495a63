import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../scheduling/periodic-task.js';
import type { DataSource, EntityManager } from 'typeorm';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { FUNNEL_QUEUE_TABLE } from './funnel-rollup-rows.js';
import { countQueued } from './funnel-count.js';
import { postgresFunnelStore } from './postgres-funnel.store.js';
import { SqliteFunnelStore } from './sqlite-funnel.store.js';

/** Queued rows per batch: 10 to 25 ms on SQLite, whose batches hold the event loop. */
const SQLITE_BATCH = 500;
const POSTGRES_BATCH = 2000;
/**
 * How often the counter looks for queued rows, unless its last batch was full: rows queued in
 * the meantime are counted together (a batch's cost is mostly per batch, not per row).
 */
const POLL_MS = 100;
const RETRY_MS = 1000;
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
  private readonly postgres: boolean;
  private readonly task: PeriodicTask<number>;
  private sqlite: SqliteFunnelStore | undefined;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
    const batchSize = this.postgres ? POSTGRES_BATCH : SQLITE_BATCH;
    this.task = new PeriodicTask({
      name: 'Funnel: counting queued rows',
      intervalMs: POLL_MS,
      retryMs: RETRY_MS,
      logger: new Logger('WhatsAppClicks'),
      run: () => this.step(),
      again: (counted) => counted >= batchSize,
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  /** Stops the loop and lets a batch in progress end. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** How many rows wait to be counted (the `whatsapp_clicks_funnel_queued` gauge). */
  async queued(): Promise<number> {
    const [row] = await this.dataSource.query<{ n: string | number }[]>(
      `SELECT COUNT(*) AS "n" FROM "${FUNNEL_QUEUE_TABLE}"`,
    );
    return Number(row?.n ?? 0);
  }

  /** Counts every queued row now (tests, benchmarks, a host's own schedule). */
  async countAll(): Promise<void> {
    while ((await this.task.runOnce()) > 0);
  }

  /** Counts one batch; how many queued rows it counted (0: none, or the database is busy). */
  async step(): Promise<number> {
    if (this.postgres) {
      const counted = await withFunnelLock(this.dataSource, false, async (manager) => {
        const batch = await postgresFunnelStore.queued(manager, POSTGRES_BATCH);
        if (batch.length === 0) return 0;
        // A batch short of the limit is the whole queue this snapshot sees.
        const whole = batch.length < POSTGRES_BATCH;
        const reads = await postgresFunnelStore.reads(manager, batch, whole);
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
      const reads = store.reads(queued, queued.length < SQLITE_BATCH);
      store.write(countQueued(queued, reads));
      store.dequeue(queued);
      return queued.length;
    });
    return batch.immediate();
  }
}
