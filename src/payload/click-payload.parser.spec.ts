import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../testing/click-payloads.js';
import { parseClickPayload } from './click-payload.parser.js';

const metaSample = (): Record<string, any> =>
  JSON.parse(
    readFileSync(new URL('../../test/fixtures/meta-sample.json', import.meta.url), 'utf8'),
  );

describe('parseClickPayload', () => {
  it("reads Meta's sample with a real timestamp into one action with every field", () => {
    const body = metaSample();
    body.entry[0].changes[0].value.user_actions[0].timestamp = '1763700000';

    const { actions, rejections, ignored } = parseClickPayload(body);

    expect(rejections).toEqual([]);
    expect(ignored).toBe(0);
    expect(actions).toEqual([
      {
        businessAccountId: '<WHATSAPP_BUSINESS_ACCOUNT_ID>',
        phoneNumberId: '<BUSINESS_PHONE_NUMBER_ID>',
        displayPhoneNumber: '<BUSINESS_DISPLAY_PHONE_NUMBER>',
        actionType: 'marketing_messages_link_click',
        clickComponent: 'cta',
        clickId: 'click_id',
        productId: 'sku_id',
        trackingToken: 'example_token',
        occurredAt: 1_763_700_000_000,
        extra: null,
        dedupeKey: 'click_id',
      },
    ]);
  });

  it("rejects the page's placeholder timestamp with a reason, keeping the action", () => {
    const { actions, rejections } = parseClickPayload(metaSample());
    expect(actions).toEqual([]);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      businessAccountId: '<WHATSAPP_BUSINESS_ACCOUNT_ID>',
      path: 'entry[0].changes[0].user_actions[0]',
      reason: expect.stringContaining('"<time_of_click>" is not unix seconds'),
    });
    expect(rejections[0]!.payload).toMatchObject({
      entry_id: '<WHATSAPP_BUSINESS_ACCOUNT_ID>',
      action: expect.objectContaining({ action_type: 'marketing_messages_link_click' }),
    });
  });

  it('accepts the timestamp as a number or a string, to the same instant and key', () => {
    const asString = sampleClickAction({ timestamp: '1763700000', click_id: undefined });
    const asNumber = { ...asString, timestamp: 1763700000 };
    const a = parseClickPayload(sampleClickDelivery({ actions: [asString] })).actions[0]!;
    const b = parseClickPayload(sampleClickDelivery({ actions: [asNumber] })).actions[0]!;
    expect(a.occurredAt).toBe(1_763_700_000_000);
    expect(b.occurredAt).toBe(a.occurredAt);
    expect(b.dedupeKey).toBe(a.dedupeKey);
  });

  it('reads every action of a 1000-action delivery spread over entries and changes', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: Array.from({ length: 10 }, (_, e) => ({
        id: `waba_${e}`,
        changes: Array.from({ length: 4 }, (_, c) => ({
          field: 'messages',
          value: {
            metadata: { phone_number_id: `phone_${c}`, display_phone_number: `+1555000${c}` },
            user_actions: Array.from({ length: 25 }, (_, a) =>
              sampleClickAction({ click_id: `click_${e}_${c}_${a}` }),
            ),
          },
        })),
      })),
    };

    const { actions, rejections } = parseClickPayload(body);

    expect(rejections).toEqual([]);
    expect(actions).toHaveLength(1000);
    expect(new Set(actions.map((a) => a.dedupeKey)).size).toBe(1000);
    expect(actions[999]).toMatchObject({
      businessAccountId: 'waba_9',
      phoneNumberId: 'phone_3',
      clickId: 'click_9_3_24',
    });
  });

  it('keeps unknown action types and unknown fields, at action and click-data level', () => {
    const action: Record<string, any> = {
      ...sampleClickAction({ action_type: 'landing_page_view', click_id: 'c1' }),
      landing_page_view_data: { url: 'https://shop.example/p/1' },
    };
    action.marketing_messages_link_click_data.client_user_agent = 'Mozilla/5.0';

    const parsed = parseClickPayload(sampleClickDelivery({ actions: [action] })).actions[0]!;

    expect(parsed.actionType).toBe('landing_page_view');
    expect(parsed.clickId).toBe('c1');
    expect(parsed.extra).toEqual({
      landing_page_view_data: { url: 'https://shop.example/p/1' },
      marketing_messages_link_click_data: { client_user_agent: 'Mozilla/5.0' },
    });
  });

  it('accepts actions whose optional fields are all missing, keyed by a stable fingerprint', () => {
    const bare = { action_type: 'marketing_messages_link_click', timestamp: 1763700000 };
    const reordered = { timestamp: '1763700000', action_type: 'marketing_messages_link_click' };
    const later = { ...bare, timestamp: 1763700001 };

    const { actions } = parseClickPayload(
      sampleClickDelivery({ displayPhoneNumber: undefined, actions: [bare, reordered, later] }),
    );

    expect(actions).toHaveLength(3);
    expect(actions[0]).toMatchObject({
      clickComponent: null,
      clickId: null,
      productId: null,
      trackingToken: null,
      extra: null,
    });
    expect(actions[0]!.dedupeKey).toMatch(/^fp:[\w-]{43}$/);
    expect(actions[1]!.dedupeKey).toBe(actions[0]!.dedupeKey);
    expect(actions[2]!.dedupeKey).not.toBe(actions[0]!.dedupeKey);
  });

  it('gives the same action on another phone number another fingerprint', () => {
    const bare = { action_type: 'marketing_messages_link_click', timestamp: 1763700000 };
    const one = parseClickPayload(sampleClickDelivery({ phoneNumberId: 'a', actions: [bare] }));
    const two = parseClickPayload(sampleClickDelivery({ phoneNumberId: 'b', actions: [bare] }));
    expect(one.actions[0]!.dedupeKey).not.toBe(two.actions[0]!.dedupeKey);
  });

  it.each([
    ['no action_type', { timestamp: '1763700000' }, 'action_type is missing'],
    ['an empty action_type', { action_type: '', timestamp: 1 }, 'action_type is missing'],
    ['a numeric action_type', { action_type: 7, timestamp: 1 }, 'action_type is missing'],
    ['no timestamp', { action_type: 'x' }, 'timestamp is missing'],
    ['a date string timestamp', { action_type: 'x', timestamp: '2025-01-01' }, 'not unix seconds'],
    ['a negative timestamp', { action_type: 'x', timestamp: -5 }, 'not unix seconds'],
    ['a millisecond timestamp', { action_type: 'x', timestamp: 1763700000000 }, 'not unix seconds'],
    ['a boolean timestamp', { action_type: 'x', timestamp: true }, 'not unix seconds'],
    [
      'click data that is a string',
      { action_type: 'x', timestamp: 1, marketing_messages_link_click_data: 'cta' },
      'marketing_messages_link_click_data is not an object',
    ],
    [
      'a numeric click_id',
      { action_type: 'x', timestamp: 1, marketing_messages_link_click_data: { click_id: 5 } },
      'marketing_messages_link_click_data.click_id is not a string',
    ],
    [
      'an object product_id',
      { action_type: 'x', timestamp: 1, marketing_messages_link_click_data: { product_id: {} } },
      'marketing_messages_link_click_data.product_id is not a string',
    ],
    [
      'a NUL character in click_id',
      {
        action_type: 'x',
        timestamp: 1,
        marketing_messages_link_click_data: { click_id: 'a\u0000b' },
      },
      'click_id is not a string (without NUL or lone surrogates)',
    ],
    ['an array action', ['x'], 'action is not an object'],
    ['a null action', null, 'action is not an object'],
  ])('rejects an action with %s and keeps its neighbours', (_name, bad, reason) => {
    const good1 = sampleClickAction({ click_id: 'before' });
    const good2 = sampleClickAction({ click_id: 'after' });

    const { actions, rejections } = parseClickPayload(
      sampleClickDelivery({ businessAccountId: 'waba', actions: [good1, bad as never, good2] }),
    );

    expect(actions.map((a) => a.clickId)).toEqual(['before', 'after']);
    expect(rejections).toEqual([
      {
        businessAccountId: 'waba',
        path: 'entry[0].changes[0].user_actions[1]',
        reason: expect.stringContaining(reason),
        payload: expect.objectContaining({ entry_id: 'waba', action: bad }),
      },
    ]);
  });

  it('rejects every action of a change without a phone number id or account id, not others', () => {
    const noPhone = sampleClickDelivery({ actions: [sampleClickAction(), sampleClickAction()] });
    (noPhone.entry as any)[0].changes[0].value.metadata = {};
    const noAccount = sampleClickDelivery({ actions: [sampleClickAction()] });
    delete (noAccount.entry as any)[0].id;
    const fine = sampleClickDelivery({ actions: [sampleClickAction()] });
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        ...(noPhone.entry as unknown[]),
        ...(noAccount.entry as unknown[]),
        ...(fine.entry as unknown[]),
      ],
    };

    const { actions, rejections } = parseClickPayload(body);

    expect(actions).toHaveLength(1);
    expect(rejections.map((r) => [r.path, r.reason])).toEqual([
      [
        'entry[0].changes[0].user_actions[0]',
        'metadata.phone_number_id is missing or not a string',
      ],
      [
        'entry[0].changes[0].user_actions[1]',
        'metadata.phone_number_id is missing or not a string',
      ],
      [
        'entry[1].changes[0].user_actions[0]',
        'entry.id (the business account id) is missing or not a string',
      ],
    ]);
  });

  it('rejects a user_actions that is not an array as one rejection of the change', () => {
    const body = sampleClickDelivery({ actions: [] });
    (body.entry as any)[0].changes[0].value.user_actions = { oops: true };
    const { actions, rejections } = parseClickPayload(body);
    expect(actions).toEqual([]);
    expect(rejections).toMatchObject([
      { path: 'entry[0].changes[0]', reason: 'user_actions is not an array' },
    ]);
  });

  it('ignores messages, statuses, other fields and other objects, counting them', () => {
    const incoming = JSON.parse(
      readFileSync(new URL('../../test/fixtures/incoming-message.json', import.meta.url), 'utf8'),
    );
    expect(parseClickPayload(incoming)).toEqual({
      refused: null,
      actions: [],
      trackingEvents: [],
      rejections: [],
      ignored: 1,
    });

    const otherField = sampleClickDelivery({ actions: [sampleClickAction()] });
    (otherField.entry as any)[0].changes.push({ field: 'account_update', value: { event: 'x' } });
    const result = parseClickPayload(otherField);
    expect(result.actions).toHaveLength(1);
    expect(result.ignored).toBe(1);

    for (const other of [{ object: 'page', entry: [] }, [], 'text', 42, null, { entry: 'x' }]) {
      expect(parseClickPayload(other)).toEqual({
        refused: null,
        actions: [],
        trackingEvents: [],
        rejections: [],
        ignored: 1,
      });
    }
  });

  it('never throws on arbitrary JSON shapes', () => {
    const shapes: unknown[] = [
      { object: 'whatsapp_business_account', entry: [null, 1, 'x', { changes: 'no' }] },
      {
        object: 'whatsapp_business_account',
        entry: [{ id: 'a', changes: [null, { field: 'messages' }] }],
      },
      {
        object: 'whatsapp_business_account',
        entry: [
          { id: 'a', changes: [{ field: 'messages', value: { metadata: 5, user_actions: [1] } }] },
        ],
      },
    ];
    for (const shape of shapes) expect(() => parseClickPayload(shape)).not.toThrow();
  });
});
