import { Injectable, Logger } from '@nestjs/common';
import {
  clickChannel,
  type ClickPubSub,
  InjectClickPubSub,
  toClickMessage,
} from '../live/click-pubsub.js';
import { ClickOutbox } from '../outbox/click-outbox.service.js';
import type { ClickEvent } from '../storage/click-event.entity.js';

/**
 * Hands newly stored clicks on, after commit, without waiting: to live subscribers directly (a
 * live view need not be durable), and wakes the outbox, which hands them to the host's handlers
 * and the broker at least once. Never throws.
 */
@Injectable()
export class ClickEventPublisher {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(
    @InjectClickPubSub() private readonly pubSub: ClickPubSub | null,
    private readonly outbox: ClickOutbox,
  ) {}

  publish(events: readonly ClickEvent[]): void {
    if (events.length === 0) return;
    this.outbox.committed(events);
    // An in-process engine hands each message to every subscriber before publish() returns:
    // after this turn, the webhook's answer is written first, however many subscribers there are.
    const pubSub = this.pubSub;
    if (pubSub) setImmediate(() => this.toSubscribers(pubSub, events));
  }

  private toSubscribers(pubSub: ClickPubSub, events: readonly ClickEvent[]): void {
    const failed = (event: ClickEvent, error: unknown) =>
      this.logger.error(
        `could not publish click event ${event.id} to live subscribers: ${error instanceof Error ? error.message : String(error)}`,
      );
    for (const event of events) {
      try {
        pubSub
          .publish(clickChannel(event.businessAccountId), toClickMessage(event))
          .catch((error: unknown) => failed(event, error));
      } catch (error) {
        failed(event, error); // an in-process subscriber threw while being handed the click
      }
    }
  }
}
