import type { LoggerService } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { OutboxConsumer } from '../outbox/outbox.dispatcher.js';
import type { ClickEvent } from '../storage/click-event.entity.js';
import { CLICK_EVENT_RECEIVED, ClickEventReceived } from './click-event-received.event.js';

/**
 * The host's `@OnClickEvent()` handlers as an outbox target: clicks are done once every handler
 * has run for them. A handler that throws is logged and does not fail the others, nor make the
 * click be emitted again (it would fail again): only a stop before the handlers ran does.
 */
export class HandlersConsumer implements OutboxConsumer {
  readonly target = 'events';
  readonly name = 'ClickEventReceived handlers';

  constructor(
    private readonly emitter: EventEmitter2,
    private readonly logger: LoggerService,
  ) {}

  /**
   * Clicks are queued for the handlers only while there are some (a click nobody listened for is
   * not owed to a handler added later): a host without handlers pays nothing for the outbox.
   */
  wanted(): boolean {
    // Typed Boolean (the wrapper) by EventEmitter2; it returns a primitive.
    const listened = this.emitter.hasListeners(CLICK_EVENT_RECEIVED) === true;
    return listened || this.emitter.listenersAny().length > 0;
  }

  async handOn(clicks: readonly ClickEvent[]): Promise<void> {
    await Promise.all(clicks.map((click) => this.emit(click)));
  }

  private async emit(click: ClickEvent): Promise<void> {
    try {
      // Nest runs every @OnEvent handler as a promise; one that rejects (suppressErrors: false)
      // rejects emitAsync. A listener added with a bare emitter.on() may throw synchronously.
      await this.emitter.emitAsync(CLICK_EVENT_RECEIVED, new ClickEventReceived(click));
    } catch (error) {
      this.logger.error(
        `a ClickEventReceived handler failed for click event ${click.id}: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}
