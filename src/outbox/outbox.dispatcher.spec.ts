import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClickEvent } from '../storage/click-event.entity.js';
import { OUTBOX_TABLE } from './outbox-target.js';
import { type OutboxConsumer, OutboxDispatcher } from './outbox.dispatcher.js';
import { SqliteOutboxStore } from './sqlite-outbox.store.js';
import { migratedMemorySqlite } from '../../test/support/memory-sqlite.js';

const quiet = { log() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sink of the host's own: records each hand-off. */
class RecordingConsumer implements OutboxConsumer {
  readonly target = 'forward';
  readonly name = 'recording';
  readonly handOffs: string[][] = [];

  async handOn(clicks: readonly ClickEvent[]): Promise<void> {
    // A broker's acknowledgement takes a moment.
    await sleep(1);
    this.handOffs.push(clicks.map((click) => click.id));
  }

  wanted(): boolean {
    return true;
  }
}

describe('OutboxDispatcher on SQLite', () => {
  let dataSource: DataSource;
  let dispatcher: OutboxDispatcher;
  let consumer: RecordingConsumer;
  let next = 1;

  /** What a writer's commit does: one outbox entry for its clicks, then the dispatcher woken. */
  async function commit(clicks: number): Promise<void> {
    const ids = Array.from({ length: clicks }, () => String(next++));
    await dataSource.query(
      `INSERT INTO "${OUTBOX_TABLE}" ("target", "click_ids", "click_count") VALUES ('forward', ?, ?)`,
      [ids.join(','), clicks],
    );
    dispatcher.wake();
  }

  beforeEach(async () => {
    dataSource = await migratedMemorySqlite();
    consumer = new RecordingConsumer();
    next = 1;
    const load = async (ids: readonly string[]) =>
      ids.map((id) => Object.assign(new ClickEvent(), { id }));
    dispatcher = new OutboxDispatcher(
      new SqliteOutboxStore(dataSource),
      load,
      consumer,
      'test-owner',
      {
        leaseMs: 30_000,
        entriesPerClaim: 1000,
        clicksPerHandOff: 1000,
        pollIntervalMs: 60_000,
        maxRetryDelayMs: 1000,
      },
      quiet,
    );
  });

  afterEach(async () => {
    await dispatcher.stop(1000);
    await dataSource.destroy();
  });

  it('hands a lone commit on at once, and commits that keep coming in a few passes', async () => {
    dispatcher.start();
    await commit(1);
    await sleep(20);
    expect(consumer.handOffs).toEqual([['1']]);
    // 40 commits, one every millisecond or so, while passes run.
    for (let i = 0; i < 40; i++) {
      await commit(1);
      await sleep(1);
    }
    for (let i = 0; i < 100 && consumer.handOffs.flat().length < 41; i++) await sleep(10);
    const handed = consumer.handOffs.flat();
    expect(handed.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 41 }, (_, i) => String(i + 1)),
    );
    // Waiting 5 ms for more commits: about 10 passes here. Without it, a pass of its own for
    // each commit (41, measured).
    expect(consumer.handOffs.length).toBeLessThan(20);
    expect(await dataSource.query(`SELECT COUNT(*) AS n FROM "${OUTBOX_TABLE}"`)).toEqual([
      { n: 0 },
    ]);
  });
});
