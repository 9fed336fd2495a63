import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import type { ReconciliationConfig, WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { PeriodicTask } from '../scheduling/periodic-task.js';
import { GraphApiError, metaCtaClicks } from './graph-api.client.js';
import { type ReconciliationRow, ReconciliationStore } from './reconciliation.store.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** One day of one account: what Meta counts, what is stored, and whether Meta's count is final. */
export interface ReconciliationDay extends ReconciliationRow {
  /** metaClicks - storedClicks: webhooks missing (> 0) or counted by us only (< 0). */
  drift: number;
  /** Meta settles a day's counts within 48 h: before that the drift says nothing. */
  settled: boolean;
}

/**
 * Reconciliation with Meta's own counts (the `reconciliation` option, off without it): once at
 * start and every `intervalMs` (daily), for each configured account, Meta's CTA clicks per UTC
 * day of the last `days` days against the CTA clicks stored. A settled day that differs is
 * logged as a warning; the drift of settled days is a metric and `clickReconciliation`.
 * `runOnce()` is exported for hosts that schedule it themselves (`@Cron`).
 */
@Injectable()
export class ClickReconciliation implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly store: ReconciliationStore;
  private readonly settings: ReconciliationConfig | null;
  private readonly drift = new Map<string, number>();
  private readonly task: PeriodicTask<ReconciliationDay[]> | null;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    @InjectWhatsAppClicksConfig() config: WhatsAppClicksConfig,
  ) {
    this.store = new ReconciliationStore(dataSource);
    this.settings = config.reconciliation;
    const settings = this.settings;
    this.task = settings
      ? new PeriodicTask({
          name: 'Reconciliation',
          intervalMs: settings.intervalMs,
          retryMs: HOUR_MS,
          logger: this.logger,
          run: () => this.checkAll(settings, Date.now()),
        })
      : null;
  }

  onApplicationBootstrap(): void {
    if (this.settings?.schedule) this.task?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  /** The drift of the settled days of the last check, per account. */
  settledDrift(): ReadonlyMap<string, number> {
    return this.drift;
  }

  /** Checks every configured account now; the days it checked. */
  async runOnce(now = Date.now()): Promise<ReconciliationDay[]> {
    const settings = this.settings;
    if (!settings || !this.task) return [];
    return this.task.runOnce(() => this.checkAll(settings, now));
  }

  private async checkAll(
    settings: ReconciliationConfig,
    now: number,
  ): Promise<ReconciliationDay[]> {
    const days: ReconciliationDay[] = [];
    for (const account of settings.businessAccountIds) {
      days.push(...(await this.check(settings, account, now)));
    }
    return days;
  }

  /** The account's last `count` checked days, newest first. */
  async days(account: string, count: number, now = Date.now()): Promise<ReconciliationDay[]> {
    const rows = await this.store.read(account, count);
    return rows.map((row) => this.judged(row, now));
  }

  private async check(
    settings: ReconciliationConfig,
    account: string,
    now: number,
  ): Promise<ReconciliationDay[]> {
    const to = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    const from = to - (settings.days + 1) * DAY_MS;
    let meta: Map<number, number>;
    try {
      meta = await metaCtaClicks(settings, account, from, to);
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      this.logger.warn(`Reconciliation of ${account} skipped: ${error.message}`);
      return [];
    }
    const stored = await this.store.storedCtaClicks(account, from, to);
    const rows: ReconciliationRow[] = [];
    for (let day = from; day < to; day += DAY_MS) {
      rows.push({
        businessAccountId: account,
        day,
        metaClicks: meta.get(day) ?? 0,
        storedClicks: stored.get(day) ?? 0,
        checkedAt: now,
      });
    }
    await this.store.save(rows);
    const days = rows.map((row) => this.judged(row, now));
    let drift = 0;
    for (const day of days) {
      if (!day.settled || day.drift === 0) continue;
      drift += day.drift;
      this.logger.warn(
        `Reconciliation: Meta counts ${day.metaClicks} CTA clicks of ${account} on ${new Date(day.day).toISOString().slice(0, 10)}, ${day.storedClicks} are stored` +
          (day.drift > 0 ? ` (${day.drift} webhooks may be missing)` : ''),
      );
    }
    this.drift.set(account, drift);
    return days;
  }

  private judged(row: ReconciliationRow, now: number): ReconciliationDay {
    const settleHours = this.settings?.settleHours ?? 48;
    return {
      ...row,
      drift: row.metaClicks - row.storedClicks,
      settled: row.day + DAY_MS + settleHours * HOUR_MS <= now,
    };
  }
}
