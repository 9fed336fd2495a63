import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { requeueFunnel } from '../funnel/funnel-state.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import {
  BACKFILL_TABLE,
  ROLLUP_COLUMNS,
  ROLLUP_KEY,
  ROLLUP_TABLE,
  rollupSelectSql,
} from './rollup-grains.js';
import { ROLLUP_DELTAS_TABLE } from './rollup-deltas.js';

/**
 * Click ids per backfill transaction: about 0.1 s of work on SQLite (`bench/RESULTS.md`), which
 * holds the event loop (and webhooks) for that long at most.
 */
const IDS_PER_BATCH = 10_000;
/** How long a busy or failing backfill waits before it tries again. */
const RETRY_MS = 1000;
/** How often a finished backfill looks for a rebuild (`rebuildClickRollups`, maybe elsewhere). */
const IDLE_POLL_MS = 5000;
/** How long a shutdown waits for a batch in progress. */
const SHUTDOWN_WAIT_MS = 2000;
/** How long `done()` trusts what it last read. */
const DONE_CACHE_MS = 1000;

interface BackfillState {
  next: number;
  last: number;
}

/**
 * Counts into the rollups the clicks stored before the rollups existed (or before
 * `rebuildClickRollups`), in batches of ids, each with its progress in one transaction: a
 * restart goes on where it stopped, and two instances on one PostgreSQL share the work without
 * counting a click twice (the progress row is locked). Clicks stored since are counted by the
 * ingest itself. Until it is done, statistics read the clicks themselves.
 */
@Injectable()
export class RollupBackfill implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly postgres: boolean;
  private complete: { value: boolean; at: number } | undefined;
  private stopped = false;
  /** Whether the last step counted something (for the log line once it is done). */
  private working = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  /**
   * Stops the loop and lets a batch in progress end, for at most 2 s: one that has not (a
   * stalled database) is rolled back when the database closes, its progress with it.
   */
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

  /** Whether every stored click is counted in the rollups (read at most once a second). */
  async done(): Promise<boolean> {
    if (this.complete && Date.now() - this.complete.at < DONE_CACHE_MS) return this.complete.value;
    const state = await this.state();
    const value = state === undefined || state.next > state.last;
    this.complete = { value, at: Date.now() };
    return value;
  }

  /**
   * Counts every stored click again, from nothing (`rebuildClickRollups`), starting now here;
   * other instances read from the clicks within a second, and join the work within 5 s.
   */
  async rebuild(): Promise<void> {
    await rebuildClickRollups(this.dataSource);
    this.complete = undefined;
    if (this.running === undefined) {
      clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  /** Counts the next batch of ids in one transaction; whether any is left. */
  async step(): Promise<boolean> {
    if (this.postgres) {
      return this.dataSource.transaction(async (manager) => {
        const [state] = await manager.query<{ next: string; last: string }[]>(
          `SELECT "next_id" AS "next", "last_id" AS "last" FROM "${BACKFILL_TABLE}" WHERE "id" = 1 FOR UPDATE`,
        );
        if (!state || Number(state.next) > Number(state.last)) return false;
        const next = Number(state.next);
        const until = Math.min(next + IDS_PER_BATCH - 1, Number(state.last));
        await manager.query(
          `INSERT INTO "${ROLLUP_TABLE}" (${columns}) ${rollupSelectSql('"id" BETWEEN $1 AND $2')} ` +
            `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "${ROLLUP_TABLE}"."count" + EXCLUDED."count"`,
          [next, until],
        );
        await manager.query(`UPDATE "${BACKFILL_TABLE}" SET "next_id" = $1 WHERE "id" = 1`, [
          until + 1,
        ]);
        return until < Number(state.last);
      });
    }
    const db = sqliteHandle(this.dataSource);
    // Not inside someone else's transaction on the shared connection (the ingest's group commit
    // or the host's): try again a little later.
    if (db.inTransaction) return true;
    const read = db.prepare(
      `SELECT "next_id" AS "next", "last_id" AS "last" FROM "${BACKFILL_TABLE}" WHERE "id" = 1`,
    );
    // Read before taking the write lock: BEGIN IMMEDIATE waits for another process's lock
    // synchronously (the event loop with it), which a finished backfill must never do.
    const pending = read.get() as BackfillState | undefined;
    if (!pending || pending.next > pending.last) return false;
    const batch = db.transaction(() => {
      const state = read.get() as BackfillState | undefined;
      if (!state || state.next > state.last) return false;
      const until = Math.min(state.next + IDS_PER_BATCH - 1, state.last);
      db.prepare(
        // "WHERE true": SQLite's parser needs it between a SELECT and ON CONFLICT.
        `INSERT INTO "${ROLLUP_TABLE}" (${columns}) SELECT * FROM (${rollupSelectSql('"id" BETWEEN @lo AND @hi')}) WHERE true ` +
          `ON CONFLICT ${ROLLUP_KEY} DO UPDATE SET "count" = "count" + excluded."count"`,
      ).run({ lo: state.next, hi: until });
      db.prepare(`UPDATE "${BACKFILL_TABLE}" SET "next_id" = ? WHERE "id" = 1`).run(until + 1);
      return until < state.last;
    });
    return batch.immediate();
  }

  private async state(): Promise<BackfillState | undefined> {
    const [row] = await this.dataSource.query<{ next: string | number; last: string | number }[]>(
      `SELECT "next_id" AS "next", "last_id" AS "last" FROM "${BACKFILL_TABLE}" WHERE "id" = 1`,
    );
    return row && { next: Number(row.next), last: Number(row.last) };
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run().finally(() => (this.running = undefined));
    }, delay);
  }

  private async run(): Promise<void> {
    try {
      const more = await this.step();
      if (more) this.working = true;
      else if (this.working) {
        this.working = false;
        this.complete = undefined;
        this.logger.log('Rollups: every stored click is counted');
      }
      this.schedule(more ? 0 : IDLE_POLL_MS);
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(
        `Rollups: could not count stored clicks (${error instanceof Error ? error.message : String(error)}); trying again in ${RETRY_MS} ms`,
      );
      this.schedule(RETRY_MS);
    }
  }
}

const columns = ROLLUP_COLUMNS.map((c) => `"${c}"`).join(', ');

/**
 * Counts every stored click into the rollups again, from nothing (the funnel's too: every row is
 * queued for `FunnelCounter` again): for clicks written around the module (a bulk import with
 * SQL, a restore), while no webhook is being stored. Running
 * instances read statistics from the clicks within a second, and count them all again within
 * 5 s (`RollupBackfill`; its `rebuild()` does both at once in its own instance).
 */
export async function rebuildClickRollups(dataSource: DataSource): Promise<void> {
  await dataSource.transaction(async (manager) => {
    await requeueFunnel(manager);
    await manager.query(`DELETE FROM "${ROLLUP_TABLE}"`);
    if (dataSource.driver.options.type === 'postgres') {
      await manager.query(`DELETE FROM "${ROLLUP_DELTAS_TABLE}"`);
    }
    await manager.query(
      `UPDATE "${BACKFILL_TABLE}" SET "next_id" = 1, "last_id" = (SELECT COALESCE(MAX("id"), 0) FROM "click_events") WHERE "id" = 1`,
    );
  });
}
