import { sampleClickAction, sampleClickDelivery } from '../../src/testing/click-payloads.js';
import { postWebhook } from './webhooks.js';

/** Webhook traffic of one account until stopped, as Meta sends it: new clicks and retries. */
export interface WebhookLoad {
  /** click_ids of every delivery answered 200. */
  readonly acknowledged: Set<string>;
  /** Answers by status. */
  readonly statuses: Map<number, number>;
  /** Requests that got no answer at all (connection refused, reset), with the reason. */
  readonly unanswered: string[];
  stop(): Promise<void>;
}

/**
 * `concurrency` senders post deliveries of `actions` fresh clicks each; every `retryEvery`-th
 * delivery is sent a second time (Meta's retry: a duplicate). After a request that got no
 * answer, a sender waits a little (the server may be down).
 */
export function webhookLoad(
  webhook: () => string,
  account: string,
  { concurrency = 8, actions = 3, retryEvery = 4 } = {},
): WebhookLoad {
  const acknowledged = new Set<string>();
  const statuses = new Map<number, number>();
  const unanswered: string[] = [];
  let running = true;
  let sequence = 0;
  const post = async (body: unknown, ids: string[]) => {
    try {
      const answer = await postWebhook(webhook(), body);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 200) for (const id of ids) acknowledged.add(id);
    } catch (error) {
      unanswered.push(String((error as { cause?: unknown }).cause ?? error));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const sender = async () => {
    while (running) {
      const n = sequence++;
      const ids = Array.from({ length: actions }, (_, i) => `${account}-${n}-${i}`);
      const body = sampleClickDelivery({
        businessAccountId: account,
        actions: ids.map((id) => sampleClickAction({ click_id: id })),
      });
      await post(body, ids);
      if (n % retryEvery === 0) await post(body, ids);
    }
  };
  const senders = Array.from({ length: concurrency }, sender);
  return {
    acknowledged,
    statuses,
    unanswered,
    async stop() {
      running = false;
      await Promise.all(senders);
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or throws after `timeoutMs` with `what`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}
