import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickEvent } from '../storage/click-event.entity.js';
import { ClickEventRepository } from '../storage/click-event.repository.js';
import { clicksById } from '../storage/click-reads.js';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { type OutboxConsumer, OutboxDispatcher } from './outbox.dispatcher.js';
import type { OutboxStore } from './outbox.store.js';
import type { OutboxTarget } from './outbox-target.js';
import { PostgresOutboxStore } from './postgres-outbox.store.js';
import { RecentClicks } from './recent-clicks.js';
import { SqliteOutboxStore } from './sqlite-outbox.store.js';

/** The consumers of this module instance: handlers (with an EventEmitter2), forwarding (when on). */
export const WHATSAPP_CLICKS_CONSUMERS = Symbol('WHATSAPP_CLICKS_CONSUMERS');

/** How long a shutdown waits for the outbox to be handed on, within the 10 s a stop may take. */
const SHUTDOWN_FLUSH_MS = 5000;
const ENTRIES_PER_CLAIM = 1000;
/**
 * Clicks handed on at once, at most. A hand-off waits for the broker's acknowledgements through
 * an event loop busy with webhooks: under 1000-action deliveries on SQLite, hand-offs of 1,000
 * forwarded 12 % of the clicks while the load lasted (then 12 s to catch up); of 10,000, 94 %
 * (bench/RESULTS.md, 0.13.0). A trickle of clicks still leaves in small hand-offs.
 */
const CLICKS_PER_HAND_OFF = 10_000;
const MAX_RETRY_DELAY_MS = 2000;
/**
 * Clicks this process stored lately, kept to be handed on without reading them back: a few
 * hand-offs' worth (with 20,000, forwarding read clicks back under load: 526 µs of SQLite time a
 * 1000-action delivery).
 */
const RECENT_CLICKS = 50_000;

/**
 * The outbox of this module instance: one dispatcher per consumer, woken by each commit.
 * At application shutdown (before the database closes) it lets the writes in flight commit,
 * hands on what is pending for up to 5 s, and closes the sink.
 */
@Injectable()
export class ClickOutbox
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly store: OutboxStore;
  private readonly dispatchers: OutboxDispatcher[];
  private closing = false;
  private readonly recent = new RecentClicks(RECENT_CLICKS);

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    @Inject(WHATSAPP_CLICKS_CONSUMERS) private readonly consumers: readonly OutboxConsumer[],
    @Inject(ClickEventRepository) private readonly repository: ClickEventRepository,
    @InjectWhatsAppClicksConfig() config: WhatsAppClicksConfig,
  ) {
    this.store =
      dataSource.driver.options.type === 'postgres'
        ? new PostgresOutboxStore(dataSource)
        : new SqliteOutboxStore(dataSource);
    const read = clicksById(dataSource);
    const load = async (ids: readonly string[]) => {
      const found: ClickEvent[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const click = this.recent.get(id);
        if (click) found.push(click);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      // Stored by another instance, or before a restart, or long ago: read back.
      return [...found, ...(await read(missing))].sort((a, b) => Number(a.id) - Number(b.id));
    };
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    // Quiet once the database may be closing under it: what is left waits for the next start.
    const logger = {
      log: (message: string) => this.logger.log(message),
      warn: (message: string) =>
        this.closing ? this.logger.debug(message) : this.logger.warn(message),
      error: (message: string) => this.logger.error(message),
      debug: (message: string) => this.logger.debug(message),
    };
    this.dispatchers = consumers.map(
      (consumer) =>
        new OutboxDispatcher(
          this.store,
          load,
          consumer,
          owner,
          {
            leaseMs: config.outbox.leaseMs,
            pollIntervalMs: config.outbox.pollIntervalMs,
            entriesPerClaim: ENTRIES_PER_CLAIM,
            clicksPerHandOff: CLICKS_PER_HAND_OFF,
            maxRetryDelayMs: MAX_RETRY_DELAY_MS,
          },
          logger,
        ),
    );
  }

  /** New clicks were committed: hand them on now (as they are: no need to read them back). */
  committed(clicks: readonly ClickEvent[]): void {
    // Only consumers that were written entries for: the others have nothing new (what they may
    // have from before, the poll finds).
    const woken = this.dispatchers.filter((_, i) => this.consumers[i]!.wanted());
    if (woken.length === 0) return;
    this.recent.add(clicks);
    for (const dispatcher of woken) dispatcher.wake();
  }

  /** Clicks stored but not yet handed on, per target. */
  async pending(): Promise<Record<OutboxTarget, number>> {
    return this.store.pending();
  }

  /** Per target: consecutive failed tries to hand clicks on, and the last error. */
  states(): { target: OutboxTarget; failures: number; lastError: string | null }[] {
    return this.dispatchers.map((dispatcher) => dispatcher.state);
  }

  onApplicationBootstrap(): void {
    // After every other bootstrap hook of this turn: @OnEvent listeners are registered in one
    // (EventEmitterModule's), and what a restart finds pending must not be emitted before them.
    setImmediate(() => {
      if (!this.closing) for (const dispatcher of this.dispatchers) dispatcher.start();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.repository.drain();
    await Promise.all(this.dispatchers.map((dispatcher) => dispatcher.stop(SHUTDOWN_FLUSH_MS)));
    for (const consumer of this.consumers) await consumer.close?.();
  }

  async onApplicationShutdown(): Promise<void> {
    // Also when beforeApplicationShutdown was not called (a context closed without it).
    await Promise.all(this.dispatchers.map((dispatcher) => dispatcher.stop(0)));
  }
}
