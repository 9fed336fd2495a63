import type { LoggerService } from '@nestjs/common';
import type { ClickEvent } from '../storage/click-event.entity.js';
import type { OutboxTarget } from './outbox-target.js';
import type { OutboxEntry, OutboxStore } from './outbox.store.js';

/** Hands clicks on to one target. Resolves once they are safely there; rejects to be retried. */
export interface OutboxConsumer {
  readonly target: OutboxTarget;
  /** A name for logs: `handlers`, `nats`, `rabbitmq`, a host's own sink. */
  readonly name: string;
  handOn(clicks: readonly ClickEvent[]): Promise<void>;
  /** Whether new clicks need handing on to it now (handlers: only while some listen). */
  wanted(): boolean;
  /** Releases what it holds (a broker connection) at shutdown, after the last hand-off. */
  close?(): Promise<void>;
}

/** How a dispatcher claims and retries. */
export interface DispatchOptions {
  /** How long a claim holds; past it another instance takes the entries over. */
  leaseMs: number;
  /** Outbox rows claimed at once. */
  entriesPerClaim: number;
  /** Clicks handed on at once (rows are grouped up to this). */
  clicksPerHandOff: number;
  /** How often the outbox is looked at without a commit of this process to wake it. */
  pollIntervalMs: number;
  /** Longest wait between two tries while a target fails. */
  maxRetryDelayMs: number;
}

const FIRST_RETRY_DELAY_MS = 250;
/** While commits keep coming, a pass waits this long for more of them (ms). */
const COALESCE_MS = 5;

/**
 * Hands the outbox of one target on: claims the oldest entries, loads their clicks, hands them
 * on, deletes the entries. Woken by each commit of this process (so a click usually leaves within
 * the same millisecond), and by a poll for what others left: entries of a restart, of a dead
 * instance whose lease expired, of a target that failed. While the target fails, tries again with
 * a growing delay; the outbox keeps everything meanwhile.
 */
export class OutboxDispatcher {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private poll: NodeJS.Timeout | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastError: string | null = null;

  constructor(
    private readonly store: OutboxStore,
    private readonly load: (ids: readonly string[]) => Promise<ClickEvent[]>,
    private readonly consumer: OutboxConsumer,
    private readonly owner: string,
    private readonly options: DispatchOptions,
    private readonly logger: LoggerService,
  ) {}

  /** The target it hands on to, and whether its last tries failed (for health checks). */
  get state(): { target: OutboxTarget; failures: number; lastError: string | null } {
    return {
      target: this.consumer.target,
      failures: this.failures,
      lastError: this.failures > 0 ? this.lastError : null,
    };
  }

  start(): void {
    this.poll = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.poll.unref();
    this.wake();
  }

  /** Something may be pending: look now (or as soon as the current pass is done). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => (this.running = null));
  }

  /**
   * Hands on what is pending for up to `withinMs`, then stops: no more polls, no more wakes.
   * What is left stays in the outbox for the next start (or another instance).
   */
  async stop(withinMs: number): Promise<void> {
    clearInterval(this.poll);
    const deadline = Date.now() + withinMs;
    await this.running;
    this.retryAt = 0;
    while (!this.stopped && Date.now() < deadline) {
      if ((await this.pass().catch(() => 0)) === 0) break;
    }
    this.stopped = true;
  }

  private async run(): Promise<void> {
    try {
      do {
        this.again = false;
        const handedOn = await this.pass();
        if (handedOn === 0 && !this.again) return;
        // Woken by commits meanwhile (not a backlog: a claim came back short): let a few more
        // commits come, so that one claim, one hand-off and one delete serve them all.
        if (handedOn < this.options.entriesPerClaim && this.again) {
          await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
        }
      } while (!this.stopped);
    } catch (error) {
      await this.failed(error, []);
    }
  }

  /** One claim, handed on in slices; the number of entries handed on. */
  private async pass(): Promise<number> {
    if (Date.now() < this.retryAt) return 0;
    const { leaseMs, entriesPerClaim } = this.options;
    const entries = await this.store.claim(
      this.consumer.target,
      this.owner,
      leaseMs,
      entriesPerClaim,
    );
    let done = 0;
    for (const slice of this.slices(entries)) {
      try {
        const clicks = await this.load(slice.flatMap((entry) => entry.clickIds));
        await this.consumer.handOn(clicks);
        await this.store.complete(
          slice.map((entry) => entry.id),
          this.owner,
        );
      } catch (error) {
        await this.failed(error, entries.slice(done));
        return 0;
      }
      done += slice.length;
      if (this.failures > 0) {
        this.logger.log(
          `${this.consumer.name}: handing clicks on again after ${this.failures} failed tries`,
        );
        this.failures = 0;
      }
    }
    return done;
  }

  private *slices(entries: OutboxEntry[]): Generator<OutboxEntry[]> {
    let slice: OutboxEntry[] = [];
    let clicks = 0;
    for (const entry of entries) {
      if (slice.length > 0 && clicks + entry.clickIds.length > this.options.clicksPerHandOff) {
        yield slice;
        slice = [];
        clicks = 0;
      }
      slice.push(entry);
      clicks += entry.clickIds.length;
    }
    if (slice.length > 0) yield slice;
  }

  private async failed(error: unknown, kept: OutboxEntry[]): Promise<void> {
    this.failures++;
    const delay = Math.min(
      FIRST_RETRY_DELAY_MS * 2 ** (this.failures - 1),
      this.options.maxRetryDelayMs,
    );
    this.retryAt = Date.now() + delay;
    this.lastError = error instanceof Error ? error.message : String(error);
    const message = `${this.consumer.name}: could not hand clicks on (kept in the outbox, next try in ${delay} ms): ${error instanceof Error ? error.message : String(error)}`;
    // The first failure of a streak is a warning; the rest would repeat it every few seconds.
    if (this.failures === 1) this.logger.warn(message);
    else this.logger.debug?.(message);
    if (kept.length > 0) {
      await this.store
        .retryLater(
          kept.map((entry) => entry.id),
          this.owner,
          delay,
        )
        .catch(() => undefined); // the lease expires anyway
    }
    setTimeout(() => this.wake(), delay).unref();
  }
}
