import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionBusyError, GroupCommit } from './group-commit.js';

/** Real SQLite: each write is a list of values for a NOT NULL, UNIQUE column. */
describe('GroupCommit on SQLite', () => {
  let dir: string;
  let db: Database.Database;
  let commits: string[][][];
  let group: GroupCommit<(string | null)[], number>;

  const stored = () =>
    (db.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    db = new Database(join(dir, 'db.sqlite'), { timeout: 0 });
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?) ON CONFLICT DO NOTHING');
    const transaction = db.transaction((writes: (string | null)[][]) =>
      writes.map((values) => values.reduce((n, v) => n + insert.run(v).changes, 0)),
    );
    commits = [];
    group = new GroupCommit({
      commit: (writes) => {
        commits.push(writes as string[][]);
        return transaction(writes);
      },
      weight: (values) => values.length,
      maxWeight: 5,
      failsEveryWrite: (error) => (error as { code?: string }).code === 'SQLITE_BUSY',
      canBegin: () => !db.inTransaction,
      waitLimitMs: 300,
    });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one turn together and answers each with its own result', async () => {
    const results = await Promise.all([
      group.submit(['a']),
      group.submit(['b', 'c']),
      group.submit(['a', 'd']), // 'a' is already written by the first write of the group
    ]);

    expect(results).toEqual([1, 2, 1]);
    expect(commits).toEqual([[['a'], ['b', 'c'], ['a', 'd']]]);
    expect(stored()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('starts a new group for writes submitted after a group was committed', async () => {
    await group.submit(['a']);
    await group.submit(['b']);

    expect(commits).toEqual([[['a']], [['b']]]);
  });

  it('caps a group by weight, and commits a write heavier than the cap alone', async () => {
    const results = await Promise.all([
      group.submit(['a', 'b', 'c']),
      group.submit(['d', 'e']),
      group.submit(['f']),
      group.submit(['g', 'h', 'i', 'j', 'k', 'l']),
      group.submit(['m']),
    ]);

    expect(results).toEqual([3, 2, 1, 6, 1]);
    expect(commits.map((c) => c.map((w) => w.length))).toEqual([[3, 2], [1], [6], [1]]);
    expect(stored()).toHaveLength(13);
  });

  it('commits a write as heavy as a group at once when nothing else waits', async () => {
    const write = group.submit(['a', 'b', 'c', 'd', 'e']);
    expect(commits).toHaveLength(1); // before the turn ended
    expect(await write).toBe(5);
  });

  it('fails only the write that cannot be stored: the others of its group are stored alone', async () => {
    const outcomes = await Promise.allSettled([
      group.submit(['a']),
      group.submit(['b', null]), // NOT NULL: this write, and only it, cannot be stored
      group.submit(['c']),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason.code).toBe('SQLITE_CONSTRAINT_NOTNULL');
    expect(stored()).toEqual(['a', 'c']); // nothing of the failed write, 'b' included
    expect(commits).toHaveLength(4); // the group, then each write alone
  });

  it('fails the whole group at once, without retries, when the database itself refuses', async () => {
    const locker = new Database(join(dir, 'db.sqlite'));
    locker.exec('BEGIN EXCLUSIVE');
    let outcomes: PromiseSettledResult<number>[];
    try {
      outcomes = await Promise.allSettled([group.submit(['a']), group.submit(['b'])]);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(commits).toHaveLength(1);
    expect(stored()).toEqual([]);
    expect(await group.submit(['a'])).toBe(1); // and takes writes again once it can
  });

  it('waits while the connection is inside another transaction, and never joins it', async () => {
    db.exec('BEGIN'); // someone else's transaction on the same connection (a host's TypeORM one)
    db.prepare("INSERT INTO t (v) VALUES ('theirs')").run();
    let settled = false;
    const write = group.submit(['ours']).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);

    db.exec('ROLLBACK'); // their work goes, ours must not go with it

    expect(await write).toBe(1);
    expect(stored()).toEqual(['ours']);
  });

  it('fails what waits once the other transaction outlasts the wait limit', async () => {
    db.exec('BEGIN');
    const started = Date.now();
    const outcomes = await Promise.allSettled([group.submit(['a']), group.submit(['b'])]);
    const waited = Date.now() - started;

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionBusyError);
    expect(waited).toBeGreaterThanOrEqual(300);
    // A write that comes later gets a wait of its own, and is stored once the connection is free.
    let settled = false;
    const later = group.submit(['c']).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    db.exec('ROLLBACK');
    expect(await later).toBe(1);
    expect(commits).toEqual([[['c']]]);
    expect(stored()).toEqual(['c']);
  });
});

/** Asynchronous commits (PostgreSQL's): the commits are real promises the test settles. */
describe('GroupCommit with asynchronous commits', () => {
  interface Commit {
    writes: string[];
    settle(fail?: boolean): void;
  }
  let commits: Commit[];
  let group: GroupCommit<string, string>;
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    commits = [];
    group = new GroupCommit<string, string>({
      commit: (writes) =>
        new Promise((resolve, reject) => {
          commits.push({
            writes,
            settle: (fail) =>
              fail ? reject(new Error('deadlock')) : resolve(writes.map((w) => `${w}!`)),
          });
        }),
      weight: () => 1,
      maxWeight: 10,
      failsEveryWrite: () => false,
      canBegin: () => true,
      waitLimitMs: 0,
      maxInFlight: 2,
    });
  });

  it('keeps at most maxInFlight groups committing; the writes that come meanwhile form the next group', async () => {
    const first = group.submit('a');
    await turn();
    const second = [group.submit('b'), group.submit('c')];
    await turn();
    const third = [group.submit('d'), group.submit('e'), group.submit('f')];
    await turn();
    await turn();
    expect(commits.map((c) => c.writes)).toEqual([['a'], ['b', 'c']]); // two in flight

    commits[0]!.settle();
    expect(await first).toBe('a!');
    await turn();
    await turn();
    expect(commits.map((c) => c.writes)).toEqual([['a'], ['b', 'c'], ['d', 'e', 'f']]);

    commits[1]!.settle();
    commits[2]!.settle();
    expect(await Promise.all([...second, ...third])).toEqual(['b!', 'c!', 'd!', 'e!', 'f!']);
    await group.drain();
  });

  it('tries each write of a failed group alone, and drains only once all have settled', async () => {
    const writes = [group.submit('a'), group.submit('b')];
    await turn();
    commits[0]!.settle(true);
    await turn();
    await turn();
    expect(commits.map((c) => c.writes)).toEqual([['a', 'b'], ['a'], ['b']]);

    let drained = false;
    const draining = group.drain().then(() => (drained = true));
    commits[1]!.settle();
    await turn();
    expect(drained).toBe(false);
    commits[2]!.settle(true);
    const outcomes = await Promise.allSettled(writes);
    await draining;
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
  });
});
