import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { RollupBackfill } from '../rollups/rollup-backfill.js';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import type { RetentionConfig, WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { RetentionStore } from './retention.store.js';

const DAY_MS = 86_400_000;
/** Pause between two batches: webhooks are written in between. */
const PAUSE_MS = 10;
/** Pause while the shared SQLite connection is in another transaction. */
const BUSY_MS = 50;

/** What one pass deleted. */
export interface RetentionResult {
  clicks: number;
  rejectedDeliveries: number;
}

/**
 * Retention (the `retention` option): deletes clicks older than their account's days and
 * rejected deliveries older than `rejectedDays`, in batches of `batchSize` rows, each its own
 * short transaction with a pause between, once at start and every `intervalMs`. Waits while
 * rollups of older clicks are being built (a click's counts must be in before they can leave).
 * Several instances may run it at once: a row is deleted, and uncounted, once.
 */
@Injectable()
export class ClickRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly store: RetentionStore;
  private readonly retention: RetentionConfig | null;
  private readonly deleted = new Map<string, number>([
    ['click_events', 0],
    ['rejected_deliveries', 0],
  ]);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionResult> | undefined;
  private stopped = false;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    @InjectWhatsAppClicksConfig() config: WhatsAppClicksConfig,
    private readonly backfill: RollupBackfill,
  ) {
    this.store = new RetentionStore(dataSource);
    this.retention = config.retention;
  }

  onApplicationBootstrap(): void {
    if (this.retention) this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Rows deleted since start, by table. */
  deletedCounts(): ReadonlyMap<string, number> {
    return this.deleted;
  }

  /**
   * One pass now (what the schedule runs): every old row, batch by batch. With no `retention`
   * option it deletes nothing. For hosts that would rather schedule it themselves.
   */
  async runOnce(now = Date.now()): Promise<RetentionResult> {
    if (!this.retention) return { clicks: 0, rejectedDeliveries: 0 };
    if (this.running) return this.running;
    this.running = this.pass(this.retention, now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(retention: RetentionConfig, now: number): Promise<RetentionResult> {
    const result: RetentionResult = { clicks: 0, rejectedDeliveries: 0 };
    const rejectedBefore = now - retention.rejectedDays * DAY_MS;
    result.rejectedDeliveries = await this.inBatches(
      'rejected_deliveries',
      retention.batchSize,
      () => this.store.deleteRejected(rejectedBefore, retention.batchSize),
    );
    if (!(await this.backfill.done())) {
      this.logger.log('Retention: old clicks wait until the rollups of stored clicks are built');
      return result;
    }
    let account = await this.store.nextAccount(null);
    while (account !== null && !this.stopped) {
      const days = retention.perAccount[account] ?? retention.days;
      const before = now - days * DAY_MS;
      // Clicks still waiting to be handed on stay (read once per account: the outbox moves).
      const belowId = (await this.store.lowestPendingClickId()) ?? Number.MAX_SAFE_INTEGER;
      const from = account;
      result.clicks += await this.inBatches('click_events', retention.batchSize, () =>
        this.store.deleteClicks(from, before, belowId, retention.batchSize),
      );
      account = await this.store.nextAccount(account);
    }
    if (result.clicks + result.rejectedDeliveries > 0) {
      this.logger.log(
        `Retention: deleted ${result.clicks} click(s) and ${result.rejectedDeliveries} rejected deliveries`,
      );
    }
    return result;
  }

  /**
   * Runs `step` (one delete of at most `batchSize` rows; null: the connection is busy) until a
   * batch comes back short, with a pause between two; how many rows it deleted.
   */
  private async inBatches(
    table: string,
    batchSize: number,
    step: () => Promise<number | null>,
  ): Promise<number> {
    let total = 0;
    while (!this.stopped) {
      const count = await step();
      if (count === null) {
        await pause(BUSY_MS);
        continue;
      }
      total += count;
      this.deleted.set(table, (this.deleted.get(table) ?? 0) + count);
      if (count < batchSize) break;
      await pause(PAUSE_MS);
    }
    return total;
  }

  private schedule(delay: number): void {
    if (this.stopped || !this.retention) return;
    this.timer = setTimeout(() => {
      this.runOnce().then(
        () => this.schedule(this.retention!.intervalMs),
        (error: unknown) => {
          if (this.stopped) return;
          this.logger.warn(
            `Retention: a pass failed (${error instanceof Error ? error.message : String(error)}); trying again in 60 s`,
          );
          this.schedule(Math.min(60_000, this.retention!.intervalMs));
        },
      );
    }, delay);
    this.timer.unref();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
