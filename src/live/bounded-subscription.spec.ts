import { PubSub } from 'graphql-subscriptions';
import { describe, expect, it } from 'vitest';
import { subscribeBounded, SUBSCRIBER_OVERFLOW } from './bounded-subscription.js';

describe('subscribeBounded', () => {
  it('delivers in order what the filter accepts, and unsubscribes on return()', async () => {
    const pubSub = new PubSub();
    const iterator = await subscribeBounded<number>(pubSub, 'c', {
      maxBuffered: 10,
      filter: (n) => n % 2 === 0,
    });
    for (let n = 0; n < 6; n++) await pubSub.publish('c', n);
    expect(
      [await iterator.next(), await iterator.next(), await iterator.next()].map((r) => r.value),
    ).toEqual([0, 2, 4]);

    const pending = iterator.next();
    await pubSub.publish('c', 8);
    expect(await pending).toEqual({ value: 8, done: false });

    expect(
      (pubSub as unknown as { ee: { listenerCount(c: string): number } }).ee.listenerCount('c'),
    ).toBe(1);
    await iterator.return!();
    expect(
      (pubSub as unknown as { ee: { listenerCount(c: string): number } }).ee.listenerCount('c'),
    ).toBe(0);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('keeps a consumer that falls behind by up to the bound', async () => {
    const pubSub = new PubSub();
    const iterator = await subscribeBounded<number>(pubSub, 'c', { maxBuffered: 3 });
    for (let n = 0; n < 3; n++) await pubSub.publish('c', n);
    const values = [];
    for (let i = 0; i < 3; i++) values.push((await iterator.next()).value);
    await pubSub.publish('c', 3);
    values.push((await iterator.next()).value);
    expect(values).toEqual([0, 1, 2, 3]);
  });

  it('drops the buffer, yields SUBSCRIBER_OVERFLOW once and ends, past the bound', async () => {
    const pubSub = new PubSub();
    const iterator = await subscribeBounded<number>(pubSub, 'c', { maxBuffered: 3 });
    for (let n = 0; n < 10; n++) await pubSub.publish('c', n);

    expect(await iterator.next()).toEqual({ value: SUBSCRIBER_OVERFLOW, done: false });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(
      (pubSub as unknown as { ee: { listenerCount(c: string): number } }).ee.listenerCount('c'),
    ).toBe(0);
  });

  it('ends a consumer waiting for the next click when it returns', async () => {
    const pubSub = new PubSub();
    const iterator = await subscribeBounded<number>(pubSub, 'c', { maxBuffered: 3 });
    const pending = iterator.next();
    await iterator.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
