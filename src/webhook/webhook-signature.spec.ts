import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidSignature, signatureFor } from './webhook-signature.js';

const secret = 'app-secret';
const hmac = (body: Buffer | string, key = secret) =>
  `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

describe('webhook signature', () => {
  // What Meta sends for non-ASCII text: escaped unicode. Re-serialising would turn it into
  // raw UTF-8 and change the bytes, so the check must run on the bytes as received.
  const escaped = Buffer.from('{"name":"Jos\\u00e9 \\ud83d\\ude00","x":1.0}', 'utf8');

  it('accepts the HMAC-SHA256 of the exact bytes, escaped unicode and emoji included', () => {
    expect(isValidSignature(escaped, hmac(escaped), [secret])).toBe(true);
    const raw = Buffer.from('{"name":"José 😀"}', 'utf8');
    expect(isValidSignature(raw, hmac(raw), [secret])).toBe(true);
  });

  it('rejects the signature of the same JSON re-serialised', () => {
    const reserialised = JSON.stringify(JSON.parse(escaped.toString('utf8')));
    expect(reserialised).not.toBe(escaped.toString('utf8'));
    expect(isValidSignature(escaped, hmac(reserialised), [secret])).toBe(false);
  });

  it('accepts upper-case hex and surrounding spaces', () => {
    const header = hmac(escaped).replace(/[0-9a-f]{64}/, (hex) => hex.toUpperCase());
    expect(isValidSignature(escaped, ` ${header} `, [secret])).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the sha256= prefix', hmac(escaped).slice(7)],
    ['sha1', `sha1=${'a'.repeat(40)}`],
    ['too short', hmac(escaped).slice(0, -2)],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['repeated', [hmac(escaped), hmac(escaped)]],
    ['keyed with another secret', hmac(escaped, 'other-secret')],
    ['of another body', hmac(Buffer.from('{}'))],
  ])('rejects a header that is %s', (_name, header) => {
    expect(isValidSignature(escaped, header, [secret])).toBe(false);
  });

  it('signs as Meta does', () => {
    expect(signatureFor(escaped, secret)).toBe(hmac(escaped));
  });
});

describe('several app secrets (rotation)', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account"}');
  it('accepts a body signed with any of them, and none signed with another', () => {
    const secrets = ['old-secret', 'new-secret'];
    expect(isValidSignature(body, signatureFor(body, 'old-secret'), secrets)).toBe(true);
    expect(isValidSignature(body, signatureFor(body, 'new-secret'), secrets)).toBe(true);
    expect(isValidSignature(body, signatureFor(body, 'other-secret'), secrets)).toBe(false);
    expect(isValidSignature(body, signatureFor(body, 'old-secret'), [])).toBe(false);
  });
});
