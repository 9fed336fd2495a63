import type { ClickMessage, ClickPubSub } from '../live/click-pubsub.js';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import type { ClickStreamReader, StreamPosition } from './click-stream.reader.js';

export interface ResumableSubscriptionOptions {
  /** Clicks read per query. */
  pageSize: number;
  /** The longest wait between reads with no news: covers a notification that was lost. */
  idlePollMs: number;
  /** Whether a live message is one this subscriber wants (its filter). */
  filter: (message: ClickMessage) => boolean;
  /** Called once when the subscription ends, however it ends. */
  onEnd?: () => void;
}

/** First wait after a notification whose click could not be read yet. */
const FIRST_RETRY_MS = 5;

/**
 * Every click matching `criteria` after `start`, in stream order, then every new one, each
 * exactly once: all of them are read from the database, where the order is fixed. Live
 * messages on `channel` only say "read again"; a lost one costs at most `idlePollMs`.
 *
 * Reads happen when the consumer asks for more, so a slow consumer holds one page at most and
 * simply reads later from its position: nothing to drop, nothing missed.
 */
export async function subscribeResumable(
  pubsub: ClickPubSub,
  channel: string,
  reader: ClickStreamReader,
  criteria: ClickEventCriteria,
  start: StreamPosition,
  { pageSize, idlePollMs, filter, onEnd }: ResumableSubscriptionOptions,
): Promise<AsyncIterableIterator<ClickMessage>> {
  let position = start;
  const page: ClickMessage[] = [];
  let done = false;
  let notified = false;
  let wake: (() => void) | null = null;
  let retryMs = FIRST_RETRY_MS;

  const subscription = await pubsub.subscribe(
    channel,
    (payload: unknown) => {
      if (done || !filter(payload as ClickMessage)) return;
      notified = true;
      wake?.();
    },
    {},
  );

  const finish = () => {
    if (done) return;
    done = true;
    page.length = 0;
    pubsub.unsubscribe(subscription);
    wake?.();
    onEnd?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  // A click was announced but not read yet (PostgreSQL: an older transaction is still open).
  let pending = false;
  const next = async (): Promise<IteratorResult<ClickMessage>> => {
    while (!done) {
      const click = page.shift();
      if (click) return { value: click, done: false };
      if (notified) pending = true;
      notified = false;
      const read = await reader.read(criteria, position, pageSize);
      if (done) break;
      position = read.position;
      if (read.clicks.length > 0) {
        page.push(...read.clicks);
        pending = false;
        retryMs = FIRST_RETRY_MS;
        continue;
      }
      if (notified) continue; // news arrived during the read
      if (pending) {
        // Look again soon, then less and less often, down to the idle rate.
        await sleep(retryMs);
        retryMs *= 2;
        if (retryMs >= idlePollMs) pending = false;
      } else {
        retryMs = FIRST_RETRY_MS;
        await sleep(idlePollMs);
      }
    }
    return { value: undefined, done: true };
  };

  const iterator: AsyncIterableIterator<ClickMessage> = {
    async next() {
      try {
        return await next();
      } catch (error) {
        finish();
        throw error;
      }
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
