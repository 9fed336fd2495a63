import type { ClickPubSub } from './click-pubsub.js';

/** Ends a subscription whose consumer fell `maxBuffered` messages behind. */
export const SUBSCRIBER_OVERFLOW = Symbol('SUBSCRIBER_OVERFLOW');

export interface BoundedSubscriptionOptions<T> {
  /** Messages held for a consumer that does not keep up; one more ends the subscription. */
  maxBuffered: number;
  /** Only messages it accepts are delivered (and buffered). */
  filter?: (message: T) => boolean;
  /** Called once when the subscription ends, however it ends. */
  onEnd?: () => void;
}

/**
 * An async iterator over one channel with a bounded buffer. A consumer that stops pulling (a
 * slow websocket) costs at most `maxBuffered` messages of memory and never slows the publisher:
 * on overflow the buffer is dropped, the iterator yields `SUBSCRIBER_OVERFLOW` once and ends.
 * `return()` (the client left) unsubscribes from the engine.
 */
export async function subscribeBounded<T>(
  pubsub: ClickPubSub,
  channel: string,
  { maxBuffered, filter, onEnd }: BoundedSubscriptionOptions<T>,
): Promise<AsyncIterableIterator<T | typeof SUBSCRIBER_OVERFLOW>> {
  const buffer: (T | typeof SUBSCRIBER_OVERFLOW)[] = [];
  let waiting: ((result: IteratorResult<T | typeof SUBSCRIBER_OVERFLOW>) => void) | null = null;
  let overflowed = false;
  let done = false;
  let subscription: number | null = null;

  const finish = async () => {
    if (done) return;
    done = true;
    onEnd?.();
    buffer.length = 0;
    if (subscription !== null) pubsub.unsubscribe(subscription);
    subscription = null;
    waiting?.({ value: undefined, done: true });
    waiting = null;
  };

  const push = (message: T | typeof SUBSCRIBER_OVERFLOW) => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: message, done: false });
    } else {
      buffer.push(message);
    }
  };

  subscription = await pubsub.subscribe(
    channel,
    (payload: unknown) => {
      const message = payload as T;
      if (done || overflowed || (filter && !filter(message))) return;
      if (buffer.length >= maxBuffered) {
        overflowed = true;
        buffer.length = 0;
        if (subscription !== null) pubsub.unsubscribe(subscription);
        subscription = null;
        push(SUBSCRIBER_OVERFLOW);
        return;
      }
      push(message);
    },
    {},
  );

  const iterator: AsyncIterableIterator<T | typeof SUBSCRIBER_OVERFLOW> = {
    next() {
      if (buffer.length > 0) {
        const value = buffer.shift()!;
        return Promise.resolve({ value, done: false });
      }
      if (done || overflowed) {
        void finish();
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve) => (waiting = resolve));
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
