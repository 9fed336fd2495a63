import { Worker } from 'node:worker_threads';
import type { ClickScans } from './click-scans.js';
import { ScanSlots } from './scan-slots.js';
import { SQLITE_SCAN_WORKER_SOURCE } from './sqlite-scan.worker-source.js';

/**
 * A scan ran past `scans.timeoutMs`: its caller stops waiting. Its worker is stopped once the
 * statement returns (better-sqlite3 cannot interrupt one); the next scan gets a new worker.
 */
export class ScanTimeoutError extends Error {
  override readonly name = 'ScanTimeoutError';
}

type Answer = { ready: true } | { rows: unknown[] } | { error: { message: string; code?: string } };

/**
 * Scans of a SQLite database file on worker threads, each with its own read-only connection
 * (WAL mode lets them read while the main connection writes), so that the event loop, and the
 * webhooks on it, never wait for one. At most one scan per worker at a time; a worker that
 * runs past the deadline, crashes or exits is replaced on its next use.
 */
export class SqliteScanWorkers implements ClickScans {
  private readonly slots: ScanSlots;
  private readonly workers: (Promise<Worker> | undefined)[];
  /** Per slot: the last discarded worker's exit. */
  private readonly exiting: Promise<unknown>[];
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly driver: string,
    size: number,
    private readonly timeoutMs: number,
  ) {
    this.slots = new ScanSlots(size);
    this.workers = Array.from({ length: size }, () => undefined);
    this.exiting = Array.from({ length: size }, () => Promise.resolve());
  }

  get queued(): number {
    return this.slots.queued;
  }

  /** Starts the first worker: fails if the file cannot be read from a thread. */
  async start(): Promise<void> {
    await this.workerAt(0);
  }

  rows<T>(sql: string, parameters: readonly unknown[]): Promise<T[]> {
    return new Promise<T[]>((resolve, reject: (error: Error) => void) => {
      this.slots
        .run(async (slot) => {
          try {
            resolve((await this.scanOn(slot, sql, parameters)) as T[]);
          } catch (error) {
            reject(error as Error);
            // The caller has its answer; the slot stays taken until a stopped worker has
            // exited. A statement runs on until it returns (better-sqlite3 cannot interrupt
            // one), and the cores are what `concurrency` is there to keep.
            await this.exiting[slot];
          }
        })
        .catch(reject);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((_, slot) => this.discard(slot)));
  }

  private async scanOn(slot: number, sql: string, parameters: readonly unknown[]) {
    const worker = await this.workerAt(slot);
    return new Promise<unknown[]>((resolve, reject) => {
      const settle = (failure: Error | null, rows?: unknown[]) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onFailure).off('exit', onExit);
        if (failure) reject(failure);
        else resolve(rows!);
      };
      const onMessage = (answer: Answer) => {
        if ('rows' in answer) settle(null, answer.rows);
        else if ('error' in answer) settle(sqliteError(answer.error));
      };
      const onFailure = (error: Error) => {
        void this.discard(slot);
        settle(error);
      };
      const onExit = (code: number) => onFailure(new Error(`a scan worker exited (${code})`));
      const timer = setTimeout(
        () =>
          onFailure(
            new ScanTimeoutError(
              `a read of the clicks ran past ${this.timeoutMs} ms (scans.timeoutMs)`,
            ),
          ),
        this.timeoutMs,
      );
      worker.on('message', onMessage).on('error', onFailure).on('exit', onExit);
      worker.postMessage({ sql, parameters });
    });
  }

  private workerAt(slot: number): Promise<Worker> {
    // A scan that waited for its turn while the workers were closed gets no new one.
    if (this.closed) return Promise.reject(new Error('the scan workers are closed'));
    let worker = this.workers[slot];
    if (!worker) {
      const started = spawn(this.file, this.driver, () => {
        // Gone between scans (or during one: that scan's own listener has rejected it).
        if (this.workers[slot] === started) this.workers[slot] = undefined;
      });
      worker = this.workers[slot] = started;
    }
    return worker;
  }

  private async discard(slot: number): Promise<void> {
    const worker = this.workers[slot];
    this.workers[slot] = undefined;
    if (!worker) return;
    const exit = worker.then(
      (started) => started.terminate(),
      () => undefined,
    );
    this.exiting[slot] = exit;
    await exit;
  }
}

/**
 * A worker whose connection is open (its first message); its start-up error otherwise.
 * `gone` is called once it fails or exits, whenever that is.
 */
function spawn(file: string, driver: string, gone: () => void): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SQLITE_SCAN_WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver },
    });
    // A worker with nothing to do must not keep the process alive.
    worker.unref();
    const failed = (error: Error) => reject(error);
    const exited = (code: number) => reject(new Error(`a scan worker exited at start (${code})`));
    worker.once('error', failed).once('exit', exited);
    // Never unhandled: an 'error' with no listener would throw in the main thread.
    worker.on('error', gone).once('exit', gone);
    worker.once('message', () => {
      worker.off('error', failed).off('exit', exited);
      resolve(worker);
    });
  });
}

function sqliteError({ message, code }: { message: string; code?: string }): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}
