import { Worker } from 'node:worker_threads';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { betterSqlitePath, sqliteFile } from '../storage/sqlite-connection.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { CHECKPOINT_WORKER_SOURCE } from './checkpoint.worker-source.js';

/** How often the worker looks at the write-ahead log's length. */
const LOOK_EVERY_MS = 20;
/** How long a shutdown waits for the worker to close its connection. */
const CLOSE_WITHIN_MS = 2000;

type Message =
  | { ready: true }
  | { checkpoint: { busy: number; log: number; checkpointed: number } }
  | { error: { message: string; code?: string } };

/**
 * SQLite checkpoints off the event loop. In WAL mode each commit appends to the write-ahead
 * log, and the commit that takes it past `wal_autocheckpoint` pages (1000 by default) copies
 * them into the database file and syncs both, on the committing thread: 2 to 2.5 ms of every
 * 1000-action delivery, with the loop and every webhook on it waiting (bench/RESULTS.md, 0.12.0).
 * For a database file in WAL mode this moves them to a worker thread with a connection of its
 * own, at the same threshold, and turns the connection's automatic checkpoints off; they come
 * back on if the worker fails, and at shutdown. A connection whose `wal_autocheckpoint` the host
 * set to 0 is left alone (the host checkpoints it).
 */
@Injectable()
export class SqliteCheckpoints implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WhatsAppClicks');
  private worker: Worker | undefined;
  /** The connection's own `wal_autocheckpoint`, to give back. */
  private pages = 0;
  private checkpoints = 0;

  constructor(@Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Checkpoints the worker has run (0 when there is none). */
  get count(): number {
    return this.checkpoints;
  }

  /** Whether a worker checkpoints the database (else its own connection does, or the host). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const file = sqliteFile(this.dataSource);
    if (file === null) return;
    const db = sqliteHandle(this.dataSource);
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
    const pages = Number(db.pragma('wal_autocheckpoint', { simple: true }));
    if (!(pages > 0)) return;
    let worker: Worker;
    try {
      worker = await start(file, pages);
    } catch (error) {
      this.logger.warn(
        `SQLite checkpoints stay on the event loop: a worker thread could not open ${file} (${(error as Error).message})`,
      );
      return;
    }
    this.worker = worker;
    this.pages = pages;
    db.pragma('wal_autocheckpoint = 0');
    let failed = false;
    worker.on('message', (message: Message) => {
      if ('checkpoint' in message) this.checkpoints++;
      else if ('error' in message && !failed) {
        failed = true; // once: the next tries would repeat it every few milliseconds
        this.logger.warn(`a SQLite checkpoint failed (tried again): ${message.error.message}`);
      }
    });
    const gone = (reason: string) => {
      if (this.worker !== worker) return;
      this.giveBack(db);
      this.logger.warn(`SQLite checkpoints are back on the event loop: ${reason}`);
    };
    worker.on('error', (error) => gone(`the checkpoint worker failed (${error.message})`));
    worker.on('exit', (code) => gone(`the checkpoint worker exited (${code})`));
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.giveBack(sqliteHandle(this.dataSource));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), CLOSE_WITHIN_MS);
    await exited;
    clearTimeout(timer);
  }

  /** The connection checkpoints itself again (while it is open: the host may have closed it). */
  private giveBack(db: Database | undefined): void {
    this.worker = undefined;
    if (db?.open) db.pragma(`wal_autocheckpoint = ${this.pages}`);
  }
}

/** A worker whose connection is open (its first message); its start-up error otherwise. */
function start(file: string, pages: number): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CHECKPOINT_WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: betterSqlitePath(), pages, intervalMs: LOOK_EVERY_MS },
    });
    // Its timer must not keep the process alive.
    worker.unref();
    const failed = (error: Error) => reject(error);
    const exited = (code: number) => reject(new Error(`it exited at start (${code})`));
    worker.once('error', failed).once('exit', exited);
    worker.once('message', () => {
      worker.off('error', failed).off('exit', exited);
      resolve(worker);
    });
  });
}
