import { EventEmitter2 } from '@nestjs/event-emitter';
import { describe, expect, it } from 'vitest';
import { CLICK_EVENT_RECEIVED, ClickEvent, type ClickEventReceived } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/click-payloads.js';
import { handedOn } from '../support/outbox.js';
import { serverForSuite } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

describe('ClickEventReceived handlers', () => {
  const suite = serverForSuite();

  it('writes no outbox entry for handlers while none listens', async () => {
    const answer = await postWebhook(
      suite.server.webhook,
      sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'unheard' })] }),
    );
    expect(answer.json).toMatchObject({ stored: 1 });
    expect(await suite.database.count('click_outbox')).toBe(0);
  });

  it('gives each handler a frozen plain object that no handler can change for the others', async () => {
    const emitter = suite.server.app.get(EventEmitter2);
    const attempts: string[] = [];
    const seen: ClickEventReceived[] = [];
    const mutate = (event: ClickEventReceived) => {
      try {
        (event.clickEvent as { clickId: string | null }).clickId = 'changed';
      } catch (error) {
        attempts.push((error as Error).name);
      }
    };
    const record = (event: ClickEventReceived) => seen.push(event);
    emitter.on(CLICK_EVENT_RECEIVED, mutate);
    emitter.on(CLICK_EVENT_RECEIVED, record);
    try {
      const answer = await postWebhook(
        suite.server.webhook,
        sampleClickDelivery({ actions: [sampleClickAction({ click_id: 'heard' })] }),
      );
      expect(answer.json).toMatchObject({ stored: 1 });
      await handedOn(suite.server.app);
    } finally {
      emitter.off(CLICK_EVENT_RECEIVED, mutate);
      emitter.off(CLICK_EVENT_RECEIVED, record);
    }
    expect(attempts).toEqual(['TypeError']);
    expect(seen.map((event) => event.clickEvent.clickId)).toEqual(['heard']);
    const [event] = seen;
    expect(Object.isFrozen(event!.clickEvent)).toBe(true);
    expect(event!.clickEvent).not.toBeInstanceOf(ClickEvent);
    expect(event!.clickEvent.id).toMatch(/^\d+$/);
    expect(await suite.database.count('click_outbox')).toBe(0); // handed on, deleted
  });
});
