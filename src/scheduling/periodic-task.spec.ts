import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const warn = vi.fn();
  const logger = { warn } as unknown as Logger;

  it('runs at start, then every interval, one run at a time; a failure waits retryMs', async () => {
    let runs = 0;
    let fail = false;
    const task = new PeriodicTask({
      name: 'the job',
      intervalMs: 1000,
      retryMs: 300,
      logger,
      run: async () => {
        runs++;
        if (fail) throw new Error('boom');
        return runs;
      },
    });
    task.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(3);
    expect(warn).toHaveBeenCalledWith('the job failed (boom); trying again in 0 s');
    fail = false;
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toBe(4);
    await task.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(4);
  });

  it('runs again at once while `again` holds, then every interval', async () => {
    let runs = 0;
    const task = new PeriodicTask({
      name: 'queue',
      intervalMs: 1000,
      retryMs: 1000,
      logger,
      run: () => Promise.resolve(++runs),
      again: (result) => result < 3,
    });
    task.start();
    for (let step = 0; step < 3; step++) await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(3); // at once, 3 times
    await vi.advanceTimersByTimeAsync(990);
    expect(runs).toBe(3); // then the interval
    await vi.advanceTimersByTimeAsync(20);
    expect(runs).toBe(4);
    await task.stop();
  });

  it('never runs twice at once: a call during a run waits for it, then runs', async () => {
    let release!: () => void;
    let runs = 0;
    const task = new PeriodicTask({
      name: 'x',
      intervalMs: 1000,
      retryMs: 1000,
      logger,
      run: () => {
        runs++;
        return new Promise<number>((resolve) => (release = () => resolve(runs)));
      },
    });
    const first = task.runOnce();
    const second = task.runOnce();
    expect(runs).toBe(1);
    release();
    expect(await first).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2); // the second began once the first had ended
    release();
    expect(await second).toBe(2);
    expect(task.stopping).toBe(false);
    await task.stop();
    expect(task.stopping).toBe(true);
  });
});
