import { Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import {
  clickChannel,
  type ClickPubSub,
  InjectClickPubSub,
  toClickMessage,
} from '../live/click-pubsub.js';
import type { ClickEvent } from '../storage/click-event.entity.js';
import { CLICK_EVENT_RECEIVED, ClickEventReceived } from './click-event-received.event.js';

/**
 * Hands newly stored clicks to the host's handlers (domain events) and to live subscribers
 * (the pubsub engine). Called only after commit; never waits for either, never throws.
 */
@Injectable()
export class ClickEventPublisher {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(
    @InjectClickPubSub() private readonly pubSub: ClickPubSub | null,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {
    if (!emitter) {
      this.logger.warn(
        'EventEmitter2 is not available: import EventEmitterModule.forRoot() in your app to receive ClickEventReceived events',
      );
    }
  }

  publish(events: readonly ClickEvent[]): void {
    // An in-process engine hands each message to every subscriber before publish() returns:
    // after this turn, the webhook's answer is written first, however many subscribers there are.
    const pubSub = this.pubSub;
    if (pubSub && events.length > 0) setImmediate(() => this.toSubscribers(pubSub, events));
    for (const event of events) {
      if (!this.emitter) continue;
      try {
        // Nest runs every @OnEvent handler as a promise: one that rejects (suppressErrors: false)
        // rejects emitAsync, which is never awaited here, so Meta's answer waits for no handler.
        this.emitter
          .emitAsync(CLICK_EVENT_RECEIVED, new ClickEventReceived(event))
          .catch((error: unknown) => this.handlerFailed(event, error));
      } catch (error) {
        this.handlerFailed(event, error); // a listener added with a bare emitter.on() threw
      }
    }
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

  private handlerFailed(event: ClickEvent, error: unknown): void {
    this.logger.error(
      `a ClickEventReceived handler failed for click event ${event.id}: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }
}
