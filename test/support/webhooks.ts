import { signatureFor } from '../../src/webhook/webhook-signature.js';

export interface PostOptions {
  /** Sign with this secret (default: the test secret); `null` sends no signature. */
  secret?: string | null;
  signature?: string;
  contentType?: string;
}

export const TEST_APP_SECRET = 'e2e-app-secret';
export const TEST_VERIFY_TOKEN = 'e2e-verify-token';

/** POSTs `body` (an object is JSON-encoded) to the webhook, signed like Meta. */
export async function postWebhook(
  url: string,
  body: unknown,
  options: PostOptions = {},
): Promise<{ status: number; json: any; text: string }> {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
  };
  const secret = options.secret === undefined ? TEST_APP_SECRET : options.secret;
  if (options.signature !== undefined) headers['x-hub-signature-256'] = options.signature;
  else if (secret !== null) headers['x-hub-signature-256'] = signatureFor(bytes, secret);
  const response = await fetch(url, { method: 'POST', headers, body: bytes });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the test reads `text`
  }
  return { status: response.status, json, text };
}
