const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text if they are UTF-8 that a text column can hold (PostgreSQL refuses NUL). */
export function utf8OrNull(bytes: Buffer): string | null {
  try {
    const text = strictUtf8.decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/** A reason may quote the input: NUL cannot be stored as text on PostgreSQL. */
export function textSafe(text: string): string {
  return text.replaceAll('\u0000', '\\u0000');
}
