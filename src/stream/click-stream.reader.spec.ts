import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickEventQueries } from '../storage/click-event.queries.js';
import { ClickStreamReader } from './click-stream.reader.js';
import { migratedMemorySqlite } from '../../test/support/memory-sqlite.js';

// SQLite in memory; PostgreSQL's horizon is covered end to end (test/e2e/resumable-subscriptions).
describe('ClickStreamReader on SQLite', () => {
  let dataSource: DataSource;
  let reader: ClickStreamReader;

  const insert = async (account: string, n: number, component = 'cta') =>
    dataSource.query(
      `INSERT INTO click_events (business_account_id, phone_number_id, action_type, click_component,
        click_id, occurred_at, received_at, dedupe_key) VALUES (?, 'p', 'marketing_messages_link_click', ?, ?, ?, ?, ?)`,
      [account, component, `${account}-${n}`, 1000 + n, 2000 + n, `${account}-${n}`],
    );

  beforeAll(async () => {
    dataSource = await migratedMemorySqlite();
    reader = new ClickStreamReader(dataSource, new ClickEventQueries(dataSource));
    for (let n = 1; n <= 6; n++) await insert(n % 2 ? 'a' : 'b', n, n === 5 ? 'body' : 'cta');
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  it("reads the account's clicks after a position in id order, in pages, and then nothing", async () => {
    const first = await reader.read({ businessAccountId: 'a' }, { tx: 0n, id: 0n }, 2);
    expect(first.clicks.map((c) => c.clickId)).toEqual(['a-1', 'a-3']);
    const second = await reader.read({ businessAccountId: 'a' }, first.position, 2);
    expect(second.clicks.map((c) => c.clickId)).toEqual(['a-5']);
    // A short page passed every id there is: the next read starts after the last one.
    expect(second.position).toEqual({ tx: 0n, id: 6n });
    const third = await reader.read({ businessAccountId: 'a' }, second.position, 2);
    expect(third.clicks).toEqual([]);
    expect(first.clicks[0]).toMatchObject({ occurredAt: 1001, receivedAt: 2001, id: '1' });
  });

  it('applies the criteria and moves past what they leave out', async () => {
    const page = await reader.read(
      { businessAccountId: 'a', clickComponent: 'body' },
      { tx: 0n, id: 0n },
      10,
    );
    expect(page.clicks.map((c) => c.clickId)).toEqual(['a-5']);
    expect(page.position.id).toBe(6n);
  });

  it('finds the position after a click of the account, and none for another account or time', async () => {
    expect(await reader.positionAfter('a', { id: '3', occurredAt: 1003 })).toEqual({
      tx: 0n,
      id: 3n,
    });
    expect(await reader.positionAfter('b', { id: '3', occurredAt: 1003 })).toBeNull();
    expect(await reader.positionAfter('a', { id: '3', occurredAt: 1 })).toBeNull();
    expect(await reader.positionAfter('a', { id: '99', occurredAt: 1003 })).toBeNull();
  });

  it('shares one read between readers asking the same at once', async () => {
    const criteria = { businessAccountId: 'b' };
    const one = reader.read(criteria, { tx: 0n, id: 0n }, 5);
    const two = reader.read({ businessAccountId: 'b' }, { tx: 0n, id: 0n }, 5);
    const other = reader.read(criteria, { tx: 0n, id: 2n }, 5);
    expect(two).toBe(one);
    expect(other).not.toBe(one);
    expect((await one).clicks.map((c) => c.clickId)).toEqual(['b-2', 'b-4', 'b-6']);
    expect((await other).clicks.map((c) => c.clickId)).toEqual(['b-4', 'b-6']);
    const again = reader.read(criteria, { tx: 0n, id: 0n }, 5);
    expect(again).not.toBe(one);
    await again;
  });
});
