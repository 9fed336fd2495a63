import { connect, type Socket } from 'node:net';
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

/**
 * POSTs every body (signed) on its own connection, all of them first opened and used once (a
 * GET), then written in one go: so the server reads them in the same turn of its event loop,
 * as in a burst of Meta's, and as SQLite's group commit has to keep apart.
 */
export async function postWebhooksAtOnce(
  url: string,
  bodies: unknown[],
): Promise<{ status: number; json: any }[]> {
  const { hostname, port, pathname } = new URL(url);
  const head = (method: string, connection: string) =>
    `${method} ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: ${connection}\r\n`;
  const sockets = await Promise.all(
    bodies.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname);
          socket.once('error', reject);
          // The handshake without its query: a 403 that leaves the connection open and in use.
          socket.write(`${head('GET', 'keep-alive')}\r\n`);
          let first = '';
          const onData = (chunk: Buffer) => {
            first += chunk.toString('latin1');
            const split = first.indexOf('\r\n\r\n');
            const length = /content-length: *(\d+)/i.exec(first);
            if (split >= 0 && length && first.length >= split + 4 + Number(length[1])) {
              socket.off('data', onData);
              resolve(socket);
            }
          };
          socket.on('data', onData);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<{ status: number; json: any }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('error', reject);
        socket.once('end', () => {
          const response = Buffer.concat(chunks).toString('utf8');
          const split = response.indexOf('\r\n\r\n');
          resolve({
            status: Number(response.slice(0, split).split(' ')[1]),
            json: JSON.parse(response.slice(split + 4)),
          });
        });
      }),
  );
  sockets.forEach((socket, i) => {
    const bytes = Buffer.from(JSON.stringify(bodies[i]));
    socket.write(
      `${head('POST', 'close')}Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n` +
        `X-Hub-Signature-256: ${signatureFor(bytes, TEST_APP_SECRET)}\r\n\r\n`,
    );
    socket.write(bytes);
  });
  return Promise.all(answers);
}
