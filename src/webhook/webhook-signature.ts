import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs every webhook POST with. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE_FORMAT = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes, keyed with the app secret. */
export function signatureFor(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is Meta's signature of these exact bytes. Constant time in the digest; a
 * missing or malformed header is simply not valid.
 */
export function isValidSignature(
  body: Buffer,
  header: string | string[] | undefined,
  appSecret: string,
): boolean {
  if (typeof header !== 'string') return false;
  const match = SIGNATURE_FORMAT.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', appSecret).update(body).digest();
  return timingSafeEqual(given, expected);
}
