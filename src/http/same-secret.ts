import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a given token with an expected one (of any lengths). */
export function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (given === null || given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
