import { PubSub } from 'graphql-subscriptions';
import { describe, expect, it } from 'vitest';
import type { ClickMessage } from '../live/click-pubsub.js';
import type { ClickStreamReader, StreamPage, StreamPosition } from './click-stream.reader.js';
import { subscribeResumable } from './resumable-subscription.js';

const click = (id: number): ClickMessage => ({
  id: String(id),
  businessAccountId: 'a',
  phoneNumberId: 'p',
  displayPhoneNumber: null,
  actionType: 'marketing_messages_link_click',
  clickComponent: 'cta',
  clickId: `c${id}`,
  productId: null,
  trackingToken: null,
  occurredAt: id,
  receivedAt: id,
});

/** A stream of `visible` clicks (ids 1..n), as a database would let them be read. */
class FakeStream {
  visible: ClickMessage[] = [];
  reads = 0;
  failNext: Error | null = null;

  read(_criteria: unknown, after: StreamPosition, limit: number): Promise<StreamPage> {
    this.reads++;
    if (this.failNext) return Promise.reject(this.failNext);
    const clicks = this.visible.filter((c) => BigInt(c.id) > after.id).slice(0, limit);
    const last = clicks.at(-1);
    return Promise.resolve({
      clicks,
      position: last ? { tx: 0n, id: BigInt(last.id) } : after,
    });
  }
}

const options = (idlePollMs = 60_000) => ({
  pageSize: 2,
  idlePollMs,
  filter: (message: ClickMessage) => message.businessAccountId === 'a',
});

const open = async (stream: FakeStream, idlePollMs?: number) => {
  const pubSub = new PubSub();
  const iterator = await subscribeResumable(
    pubSub,
    'ch',
    stream as unknown as ClickStreamReader,
    { businessAccountId: 'a' },
    { tx: 0n, id: 1n },
    options(idlePollMs),
  );
  return { pubSub, iterator };
};

describe('subscribeResumable', () => {
  it('reads what is stored after the start in pages, then waits for news', async () => {
    const stream = new FakeStream();
    stream.visible = [1, 2, 3, 4, 5].map(click);
    const { pubSub, iterator } = await open(stream);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await iterator.next()).value.id);
    expect(ids).toEqual(['2', '3', '4', '5']);

    const pending = iterator.next();
    stream.visible.push(click(6));
    await pubSub.publish('ch', click(6));
    expect((await pending).value.id).toBe('6');
    await iterator.return!();
  });

  it('reads again soon when an announced click is not readable yet (an older transaction open)', async () => {
    const stream = new FakeStream();
    const { pubSub, iterator } = await open(stream);
    const pending = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pubSub.publish('ch', click(2)); // announced, but not visible yet
    await new Promise((resolve) => setTimeout(resolve, 30));
    stream.visible.push(click(2));
    const started = Date.now();
    expect((await pending).value.id).toBe('2');
    // Found by the backed-off re-reads, long before the 60 s idle poll.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stream.reads).toBeGreaterThan(2);
    await iterator.return!();
  });

  it('finds a click whose announcement was lost by the idle poll', async () => {
    const stream = new FakeStream();
    const { iterator } = await open(stream, 50);
    const pending = iterator.next();
    stream.visible.push(click(2)); // no publish at all
    expect((await pending).value.id).toBe('2');
    await iterator.return!();
  });

  it('ignores news of clicks its filter refuses, ends on return() and unsubscribes', async () => {
    const stream = new FakeStream();
    const { pubSub, iterator } = await open(stream);
    const pending = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const readsBefore = stream.reads;
    await pubSub.publish('ch', { ...click(9), businessAccountId: 'other' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stream.reads).toBe(readsBefore);
    await iterator.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    const emitter = (pubSub as unknown as { ee: { listenerCount(c: string): number } }).ee;
    expect(emitter.listenerCount('ch')).toBe(0);
  });

  it('passes a failed read on to the consumer and unsubscribes', async () => {
    const stream = new FakeStream();
    stream.failNext = new Error('database gone');
    const { pubSub, iterator } = await open(stream);
    await expect(iterator.next()).rejects.toThrow('database gone');
    const emitter = (pubSub as unknown as { ee: { listenerCount(c: string): number } }).ee;
    expect(emitter.listenerCount('ch')).toBe(0);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });
});
