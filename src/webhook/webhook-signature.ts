import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs every webhook POST with. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE_FORMAT = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes, keyed with the app secret. */
export function signatureFor(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is Meta's signature of these exact bytes with one of the app secrets (several
 * while a secret is rotated). Every secret is tried, each compared in constant time; a missing
 * or malformed header is simply not valid.
 */
export function isValidSignature(
  body: Buffer,
  header: string | string[] | undefined,
  appSecrets: readonly string[],
): boolean {
  if (typeof header !== 'string') return false;
  const match = SIGNATURE_FORMAT.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  let valid = false;
  for (const secret of appSecrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    valid = timingSafeEqual(given, expected) || valid;
  }
  return valid;
}
