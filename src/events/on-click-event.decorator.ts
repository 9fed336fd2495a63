import { OnEvent } from '@nestjs/event-emitter';
import { CLICK_EVENT_RECEIVED } from './click-event-received.event.js';

/**
 * Marks a provider method as a handler of every newly stored click (`ClickEventReceived`).
 *
 * Handlers run after the webhook's transaction committed, asynchronously: a slow handler never
 * delays Meta's 200, and one that throws or rejects is logged and does not affect the webhook
 * or other handlers. Requires `EventEmitterModule.forRoot()` in the host app.
 */
export const OnClickEvent = (): MethodDecorator =>
  OnEvent(CLICK_EVENT_RECEIVED, { async: true, promisify: true, suppressErrors: true });
