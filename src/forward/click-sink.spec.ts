import { describe, expect, it } from 'vitest';
import { ClickComponent, toClickEventModel } from '../models/click-event.model.js';
import { ClickEvent } from '../storage/click-event.entity.js';
import { toForwardedClick } from './click-sink.js';

function entity(id: number, component: string | null, occurredAt: number): ClickEvent {
  return Object.assign(new ClickEvent(), {
    id: String(id),
    businessAccountId: 'waba',
    phoneNumberId: '1065',
    displayPhoneNumber: id % 2 ? '15550783881' : null,
    actionType: 'marketing_messages_link_click',
    clickComponent: component,
    clickId: `c-${id}`,
    productId: id % 3 ? 'sku' : null,
    trackingToken: null,
    occurredAt: new Date(occurredAt),
    receivedAt: new Date(1_764_547_200_123),
    dedupeKey: `c-${id}`,
    extra: { unknown: true },
  });
}

describe('toForwardedClick', () => {
  it('is the GraphQL ClickEvent without its cursor, times as ISO 8601, the enum by name', () => {
    // Many times, each twice: more than the remembered ISO strings, and again after them.
    const components = ['cta', 'body', null, 'constructor', 'CTA', '__proto__'];
    const events = Array.from({ length: 60 }, (_, i) =>
      entity(i, components[i % components.length]!, 1_700_000_000_000 + (i % 30) * 61_001),
    );
    for (const event of events) {
      const { cursor: _cursor, ...model } = toClickEventModel(event);
      expect(toForwardedClick(event)).toEqual({
        ...model,
        clickComponent:
          model.clickComponent === null
            ? null
            : model.clickComponent === ClickComponent.CTA
              ? 'CTA'
              : 'BODY',
        occurredAt: model.occurredAt.toISOString(),
        receivedAt: model.receivedAt.toISOString(),
      });
    }
    expect(toForwardedClick(events[3]!).clickComponent).toBeNull(); // not an object's key
  });
});
