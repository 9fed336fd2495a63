import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { FunnelCounter } from '../funnel/funnel-counter.js';
import { RollupBackfill } from '../rollups/rollup-backfill.js';
import { PeriodicTask } from '../scheduling/periodic-task.js';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import {
  DEFAULT_RETENTION_BATCH,
  DEFAULT_RETENTION_INTERVAL,
  type RetentionConfig,
  type WhatsAppClicksConfig,
} from '../whatsapp-clicks.options.js';
import { RetentionStore } from './retention.store.js';

const DAY_MS = 86_400_000;
/** Shortest pause between two batches: webhooks are written in between. */
const PAUSE_MS = 10;
/** Rows of a first batch (then sized by how long batches take), and of the smallest. */
const FIRST_BATCH = 100;
const MIN_BATCH = 10;
/** Pause after a batch per ms it took: retention has the database a quarter of the time at most. */
const PAUSE_PER_BATCH_MS = 3;
/** Pause while the shared SQLite connection is in another transaction. */
const BUSY_MS = 50;

/** What one pass deleted. */
export interface RetentionResult {
  clicks: number;
  trackingEvents: number;
  conversions: number;
  rejectedDeliveries: number;
  archivedDeliveries: number;
}

const NOTHING: RetentionResult = {
  clicks: 0,
  trackingEvents: 0,
  conversions: 0,
  rejectedDeliveries: 0,
  archivedDeliveries: 0,
};

/** When retention runs, and what it deletes. */
interface RetentionPlan {
  /** Clicks and rejected deliveries (the `retention` option); null: kept. */
  rows: RetentionConfig | null;
  /** Days archived deliveries are kept (the `archive` option's `days`); null: kept. */
  archiveDays: number | null;
  intervalMs: number;
  batchSize: number;
}

/**
 * Retention (the `retention` option, and the `archive` option's `days`): deletes clicks older
 * than their account's days, rejected deliveries older than `rejectedDays` and archived ones
 * older than the archive's days, in batches of `batchSize` rows, each its own short transaction
 * with a pause between, once at start and every `intervalMs`. Waits while rollups of older
 * clicks are being built (a click's counts must be in before they can leave). Several instances
 * may run it at once: a row is deleted, and uncounted, once.
 */
@Injectable()
export class ClickRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly store: RetentionStore;
  private readonly plan: RetentionPlan | null;
  private readonly deleted = new Map<string, number>([
    ['click_events', 0],
    ['tracking_events', 0],
    ['click_conversions', 0],
    ['rejected_deliveries', 0],
    ['delivery_archive', 0],
  ]);
  private readonly task: PeriodicTask<RetentionResult> | null;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    @InjectWhatsAppClicksConfig() config: WhatsAppClicksConfig,
    private readonly backfill: RollupBackfill,
    private readonly funnel: FunnelCounter,
  ) {
    this.store = new RetentionStore(dataSource);
    const archiveDays = config.archive?.days ?? null;
    this.plan =
      config.retention || archiveDays
        ? {
            rows: config.retention,
            archiveDays,
            intervalMs: config.retention?.intervalMs ?? DEFAULT_RETENTION_INTERVAL,
            batchSize: config.retention?.batchSize ?? DEFAULT_RETENTION_BATCH,
          }
        : null;
    const plan = this.plan;
    this.task = plan
      ? new PeriodicTask({
          name: 'Retention: a pass',
          intervalMs: plan.intervalMs,
          retryMs: 60_000,
          logger: this.logger,
          run: () => this.pass(plan, Date.now()),
        })
      : null;
  }

  onApplicationBootstrap(): void {
    this.task?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  /** Rows deleted since start, by table. */
  deletedCounts(): ReadonlyMap<string, number> {
    return this.deleted;
  }

  /**
   * One pass now (what the schedule runs): every old row, batch by batch. Without `retention`
   * and archive `days` it deletes nothing. For hosts that would rather schedule it themselves.
   */
  async runOnce(now = Date.now()): Promise<RetentionResult> {
    const plan = this.plan;
    if (!plan || !this.task) return { ...NOTHING };
    return this.task.runOnce(() => this.pass(plan, now));
  }

  private async pass(plan: RetentionPlan, now: number): Promise<RetentionResult> {
    const result: RetentionResult = { ...NOTHING };
    const { batchSize } = plan;
    if (plan.archiveDays) {
      const before = now - plan.archiveDays * DAY_MS;
      result.archivedDeliveries = await this.inBatches('delivery_archive', batchSize, (limit) =>
        this.store.deleteReceivedBefore('delivery_archive', before, limit),
      );
    }
    if (plan.rows) {
      const before = now - plan.rows.rejectedDays * DAY_MS;
      result.rejectedDeliveries = await this.inBatches('rejected_deliveries', batchSize, (limit) =>
        this.store.deleteReceivedBefore('rejected_deliveries', before, limit),
      );
      // Rows the funnel rollups have not counted yet are kept: count them first.
      await this.funnel.countAll();
      result.clicks = await this.deleteClicks(plan.rows, now);
      result.trackingEvents = await this.deleteTracking(plan.rows, now);
      // A conversion names no account: it stays as long as the longest-kept clicks, by when
      // it was received (its occurredAt is the reporter's word).
      const longest = Math.max(plan.rows.days, ...Object.values(plan.rows.perAccount));
      const conversionsBefore = now - longest * DAY_MS;
      result.conversions = await this.inBatches('click_conversions', batchSize, (limit) =>
        this.store.deleteConversions(conversionsBefore, limit),
      );
    }
    if (Object.values(result).some((count) => count > 0)) {
      this.logger.log(
        `Retention: deleted ${result.clicks} click(s), ${result.trackingEvents} tracking event(s), ${result.conversions} conversion(s), ${result.rejectedDeliveries} rejected and ${result.archivedDeliveries} archived deliveries`,
      );
    }
    return result;
  }

  /** Old tracking events, account by account, with their account's days (as its clicks). */
  private async deleteTracking(rows: RetentionConfig, now: number): Promise<number> {
    let deleted = 0;
    let account = await this.store.nextAccount(null, 'tracking_events');
    while (account !== null && !this.stopping) {
      const before = now - (rows.perAccount[account] ?? rows.days) * DAY_MS;
      const from = account;
      deleted += await this.inBatches('tracking_events', rows.batchSize, (limit) =>
        this.store.deleteTracking(from, before, limit),
      );
      account = await this.store.nextAccount(account, 'tracking_events');
    }
    return deleted;
  }

  /** Old clicks, account by account; none while rollups of stored clicks are being built. */
  private async deleteClicks(rows: RetentionConfig, now: number): Promise<number> {
    if (!(await this.backfill.done())) {
      this.logger.log('Retention: old clicks wait until the rollups of stored clicks are built');
      return 0;
    }
    let deleted = 0;
    let account = await this.store.nextAccount(null);
    while (account !== null && !this.stopping) {
      const days = rows.perAccount[account] ?? rows.days;
      const before = now - days * DAY_MS;
      // Clicks still waiting to be handed on stay (read once per account: the outbox moves).
      const belowId = (await this.store.lowestPendingClickId()) ?? Number.MAX_SAFE_INTEGER;
      const from = account;
      deleted += await this.inBatches('click_events', rows.batchSize, (limit) =>
        this.store.deleteClicks(from, before, belowId, limit),
      );
      account = await this.store.nextAccount(account);
    }
    return deleted;
  }

  /**
   * Runs `step` (one delete of at most `limit` rows; null: the connection is busy) until a
   * batch comes back short; how many rows it deleted. Batches are sized to take about the
   * store's target (on SQLite the event loop, and so every webhook, waits that long), never more
   * than `batchSize` rows, and each is followed by a pause three times as long as it took:
   * webhooks have the database at least three quarters of the time.
   */
  private async inBatches(
    table: string,
    batchSize: number,
    step: (limit: number) => Promise<number | null>,
  ): Promise<number> {
    let total = 0;
    let limit = Math.min(batchSize, FIRST_BATCH);
    while (!this.stopping) {
      const started = performance.now();
      const count = await step(limit);
      const took = performance.now() - started;
      if (count === null) {
        await pause(BUSY_MS);
        continue;
      }
      total += count;
      this.deleted.set(table, (this.deleted.get(table) ?? 0) + count);
      if (count < limit) break;
      const fitting = Math.round((limit * this.store.batchTargetMs) / Math.max(took, 0.1));
      limit = Math.max(Math.min(batchSize, MIN_BATCH), Math.min(batchSize, 2 * limit, fitting));
      await pause(Math.max(PAUSE_MS, PAUSE_PER_BATCH_MS * took));
    }
    return total;
  }

  private get stopping(): boolean {
    return this.task?.stopping ?? false;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
