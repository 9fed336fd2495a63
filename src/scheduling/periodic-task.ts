import type { Logger } from '@nestjs/common';

export interface PeriodicTaskOptions<T> {
  /** Named in the log line of a failed run. */
  name: string;
  intervalMs: number;
  /** Wait after a failed run (at most `intervalMs`). */
  retryMs: number;
  logger: Logger;
  /** A scheduled run. */
  run: () => Promise<T>;
  /** Whether to run again at once rather than after `intervalMs` (a queue not drained). */
  again?: (result: T) => boolean;
}

/**
 * A task run at start and every `intervalMs` (or at once while `again` says so), one run at a
 * time, on a plain timer that never
 * keeps the process alive (so hosts need no ScheduleModule; those who prefer `@Cron` call the
 * service's `runOnce()` themselves). `stop()` waits for a run in progress.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stopped = false;

  constructor(private readonly options: PeriodicTaskOptions<T>) {}

  /** Whether `stop()` was called: long runs check it between their steps. */
  get stopping(): boolean {
    return this.stopped;
  }

  /**
   * `run` now, or once the run in progress has ended: never two at once, and never the result
   * of a run that began before the call (which may have read an older state, or another `now`).
   */
  runOnce(run: () => Promise<T> = this.options.run): Promise<T> {
    if (this.running) {
      const waiting = this.running.catch(() => undefined);
      return waiting.then(() => this.runOnce(run));
    }
    const running = run().finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    const { intervalMs, retryMs, name, logger } = this.options;
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (result) => this.schedule(this.options.again?.(result) ? 0 : intervalMs),
        (error: unknown) => {
          if (this.stopped) return;
          const wait = Math.min(retryMs, intervalMs);
          logger.warn(
            `${name} failed (${error instanceof Error ? error.message : String(error)}); trying again in ${Math.round(wait / 1000)} s`,
          );
          this.schedule(wait);
        },
      );
    }, delay);
    this.timer.unref();
  }
}
