import { describe, expect, it } from 'vitest';
import type { ForwardedClick } from './click-sink.js';
import { encodedBodies } from './nats-jetstream.sink.js';

function click(id: number, trackingToken: string | null): ForwardedClick {
  return {
    id: String(id),
    businessAccountId: 'waba',
    phoneNumberId: '1065',
    displayPhoneNumber: id % 2 ? '15550783881' : null,
    actionType: 'marketing_messages_link_click',
    clickComponent: id % 3 ? 'CTA' : null,
    clickId: `c-${id}`,
    productId: null,
    trackingToken,
    occurredAt: '2026-12-03T10:00:00.000Z',
    receivedAt: '2026-12-03T10:00:01.000Z',
  };
}

const decoded = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encodedBodies', () => {
  it('gives each click its own JSON, byte for byte, when the batch is ASCII', () => {
    const clicks = Array.from({ length: 50 }, (_, i) => click(i, i % 4 ? `token-${i}` : null));
    const bodies = encodedBodies(clicks);
    clicks.forEach((c, i) => {
      expect(decoded(bodies(i))).toBe(JSON.stringify(c));
      expect(JSON.parse(decoded(bodies(i)))).toEqual(c);
    });
  });

  it('gives each click its own JSON when some text is not ASCII (bytes are not characters)', () => {
    const tokens = ['plain', 'café', '🎉 launch', null, 'Ünïcödé-ßpecial', 'end'];
    const clicks = tokens.map((token, i) => click(i, token));
    const bodies = encodedBodies(clicks);
    clicks.forEach((c, i) => expect(JSON.parse(decoded(bodies(i)))).toEqual(c));
    // The last one too: an offset by a multi-byte character would cut it short.
    expect(decoded(bodies(clicks.length - 1))).toBe(JSON.stringify(clicks.at(-1)));
  });

  it('handles a batch of one and an empty batch', () => {
    const one = click(7, 'x');
    expect(decoded(encodedBodies([one])(0))).toBe(JSON.stringify(one));
    expect(() => encodedBodies([])).not.toThrow();
  });
});
