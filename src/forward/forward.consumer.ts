import type { OutboxConsumer } from '../outbox/outbox.dispatcher.js';
import type { ClickEvent } from '../storage/click-event.entity.js';
import { type ClickSink, toForwardedClick } from './click-sink.js';

/** The forwarding sink as an outbox target. */
export class ForwardConsumer implements OutboxConsumer {
  readonly target = 'forward';

  constructor(private readonly sink: ClickSink) {}

  get name(): string {
    return `forwarding to ${this.sink.name}`;
  }

  async handOn(clicks: readonly ClickEvent[]): Promise<void> {
    if (clicks.length > 0) await this.sink.send(clicks.map(toForwardedClick));
  }

  wanted(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await this.sink.close?.();
  }
}
