import type { INestApplication } from '@nestjs/common';
import { ClickOutbox } from '../../src/outbox/click-outbox.service.js';

/**
 * Waits until the outbox of `app` is empty: every click stored so far has been handed to the
 * handlers (and the broker) and its entry deleted. Handlers run after the webhook's answer.
 */
export async function handedOn(app: INestApplication, timeoutMs = 10_000): Promise<void> {
  const outbox = app.get(ClickOutbox, { strict: false });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await outbox.pending();
    if (pending.events === 0 && pending.forward === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the outbox still holds ${JSON.stringify(pending)} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
