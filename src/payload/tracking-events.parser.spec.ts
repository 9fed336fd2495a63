import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../testing/click-payloads.js';
import { parseClickPayload } from './click-payload.parser.js';

describe('parseClickPayload: tracking_events', () => {
  it('reads tracking_events (sent) beside or without user_actions, and rejects a bad one alone', () => {
    const delivery = sampleClickDelivery({
      businessAccountId: 'W',
      actions: [sampleClickAction({ click_id: 'c1' })],
    });
    const value = (delivery.entry as any)[0].changes[0].value;
    value.tracking_events = [
      {
        event: 'sent',
        timestamp: '1735689600',
        tracking_data: { click_id: 'c1', tracking_token: 't1', campaign: 'x' },
        recipient_hint: 'kept',
      },
      { event: 'sent', timestamp: 1735689601, tracking_data: { tracking_token: 't2' } },
      { event: 'sent', timestamp: 'later' },
      { timestamp: '1735689600' },
      'not an object',
    ];
    const parsed = parseClickPayload(delivery);
    expect(parsed.actions).toHaveLength(1);
    expect(parsed.trackingEvents).toEqual([
      {
        businessAccountId: 'W',
        phoneNumberId: '106540352242922',
        event: 'sent',
        clickId: 'c1',
        trackingToken: 't1',
        occurredAt: 1_735_689_600_000,
        extra: { recipient_hint: 'kept', tracking_data: { campaign: 'x' } },
        dedupeKey: 'c1',
      },
      expect.objectContaining({
        clickId: null,
        trackingToken: 't2',
        dedupeKey: expect.stringMatching(/^fp:/),
      }),
    ]);
    expect(parsed.rejections.map((r) => [r.path, r.reason])).toEqual([
      [
        'entry[0].changes[0].tracking_events[2]',
        'timestamp "later" is not unix seconds (a number or a string of digits)',
      ],
      ['entry[0].changes[0].tracking_events[3]', 'event is missing or not a non-empty string'],
      ['entry[0].changes[0].tracking_events[4]', 'tracking event is not an object'],
    ]);
    expect(parsed.rejections[2]!.payload).toMatchObject({
      entry_id: 'W',
      tracking_event: 'not an object',
    });

    delete value.user_actions;
    value.tracking_events = [{ event: 'sent', timestamp: '1735689600' }];
    const alone = parseClickPayload(delivery);
    expect(alone).toMatchObject({ actions: [], rejections: [], ignored: 0 });
    expect(alone.trackingEvents).toHaveLength(1);
    // The same event retried (keys in another order) has the same fingerprint.
    value.tracking_events = [{ timestamp: 1735689600, event: 'sent' }];
    expect(parseClickPayload(delivery).trackingEvents[0]!.dedupeKey).toBe(
      alone.trackingEvents[0]!.dedupeKey,
    );
  });
});
