import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { SqliteCheckpoints } from './sqlite-checkpoints.js';
import { walBacklog } from './wal-index.js';

describe('SqliteCheckpoints', () => {
  let folder: string;
  const open: { dataSource: DataSource; checkpoints: SqliteCheckpoints }[] = [];
  const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

  async function started(options: { file?: boolean; wal?: boolean; pages?: number } = {}) {
    const database = options.file === false ? ':memory:' : join(folder, `db-${open.length}.sqlite`);
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database,
      enableWAL: options.wal ?? true,
    });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    if (options.pages !== undefined) {
      sqliteHandle(dataSource).pragma(`wal_autocheckpoint = ${options.pages}`);
    }
    const checkpoints = new SqliteCheckpoints(dataSource);
    open.push({ dataSource, checkpoints });
    await checkpoints.onApplicationBootstrap();
    return { dataSource, checkpoints, db: sqliteHandle(dataSource), file: database };
  }

  /** Frames of the WAL not yet in the database file, as the `-shm` file says. */
  const backlog = (file: string) =>
    walBacklog(readFileSync(`${file}-shm`).subarray(0, 100), endianness() === 'LE');

  /** About `pages` pages of the WAL, in one commit. */
  const write = (dataSource: DataSource, pages: number) =>
    dataSource.query(
      `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${pages}) ` +
        'INSERT INTO t (v) SELECT randomblob(3500) FROM n',
    );

  async function until(condition: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'click-checkpoints-'));
    warn.mockClear();
  });

  afterEach(async () => {
    for (const { dataSource, checkpoints } of open.splice(0)) {
      await checkpoints.onApplicationShutdown();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it('checkpoints a SQLite file in WAL mode on its worker, the connection never', async () => {
    const { dataSource, checkpoints, db, file } = await started();
    expect(checkpoints.running).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await write(dataSource, 1500);
    // The commit left it all in the WAL (the connection checkpoints nothing any more) ...
    expect(backlog(file)).toBeGreaterThanOrEqual(1500);
    // ... and the worker copies it into the database within its next looks.
    await until(() => checkpoints.count > 0 && backlog(file)! < 1000);
    expect(warn).not.toHaveBeenCalled();
  });

  it('waits for as many pages as the connection would have (its wal_autocheckpoint)', async () => {
    const { dataSource, checkpoints, db, file } = await started({ pages: 3000 });
    await write(dataSource, 1500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(checkpoints.count).toBe(0);
    expect(backlog(file)).toBeGreaterThanOrEqual(1500);
    await write(dataSource, 1600);
    await until(() => checkpoints.count > 0 && backlog(file)! < 3000);
    await checkpoints.onApplicationShutdown();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(3000);
  });

  it('gives the connection its checkpoints back at shutdown', async () => {
    const { checkpoints, db } = await started();
    await checkpoints.onApplicationShutdown();
    expect(checkpoints.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('gives them back, and says so, when the worker dies', async () => {
    const { checkpoints, db } = await started();
    const worker = (checkpoints as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    await until(() => !checkpoints.running);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^SQLite checkpoints are back on the event loop: .*exited/),
    );
  });

  it('stays off, with a warning, when the worker cannot open the file', async () => {
    const { checkpoints, db } = await (async () => {
      const made = await started({ wal: true });
      await made.checkpoints.onApplicationShutdown();
      // The connection goes on by its open file; a new one cannot find it.
      unlinkSync(made.file);
      warn.mockClear();
      await made.checkpoints.onApplicationBootstrap();
      return made;
    })();
    expect(checkpoints.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^SQLite checkpoints stay on the event loop: a worker thread could not open/,
      ),
    );
  });

  it('leaves alone a database in memory, one without WAL, and one the host checkpoints itself', async () => {
    for (const options of [{ file: false }, { wal: false }, { pages: 0 }]) {
      const { checkpoints, db } = await started(options);
      expect(checkpoints.running).toBe(false);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(
        options.pages === 0 ? 0 : 1000,
      );
    }
    expect(warn).not.toHaveBeenCalled();
  });
});
