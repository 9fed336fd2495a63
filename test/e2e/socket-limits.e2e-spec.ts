// graphql-ws sockets of the standalone server: no key, no socket (closed 4401 at
// connection_init); a key holds at most CLICKS_MAX_SOCKETS_PER_KEY sockets (4429), a socket at
// most CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions; a socket that never says hello is
// closed after 3 s; an HTTP request whose body stalls is closed after CLICKS_HTTP_TIMEOUT_MS.
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { serverForSuite } from '../support/server.js';

interface RawSocket {
  messages: { type: string; id?: string; payload?: any }[];
  closed: Promise<number>;
  send(message: object): void;
  close(): void;
}

async function open(url: string): Promise<RawSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const messages: RawSocket['messages'] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve) => socket.once('open', resolve));
  return {
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const subscribeMessage = (id: string) => ({
  id,
  type: 'subscribe',
  payload: { query: 'subscription { clickEventReceived(businessAccountId: "waba-a") { id } }' },
});

describe('graphql-ws socket limits', () => {
  const suite = serverForSuite({
    CLICKS_API_KEYS: 'a-key=waba-a',
    CLICKS_MAX_SOCKETS_PER_KEY: '2',
    CLICKS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
    CLICKS_HTTP_TIMEOUT_MS: '1000',
  });

  it('closes a socket whose connection_init has no key, or an unknown one, with 4401', async () => {
    for (const payload of [{}, { authorization: 'Bearer not-a-key' }]) {
      const socket = await open(suite.server.ws);
      socket.send({ type: 'connection_init', payload });
      expect(await socket.closed).toBe(4401);
      expect(socket.messages.filter((m) => m.type === 'connection_ack')).toEqual([]);
    }
  });

  it('closes a socket that never sends connection_init', { timeout: 6000 }, async () => {
    const socket = await open(suite.server.ws);
    expect(await socket.closed).toBe(4408);
  });

  it('caps the sockets of one key, and frees a place when one closes', async () => {
    const hello = { type: 'connection_init', payload: { authorization: 'Bearer a-key' } };
    const first = await open(suite.server.ws);
    const second = await open(suite.server.ws);
    first.send(hello);
    second.send(hello);
    await until(
      () => [first, second].every((s) => s.messages.some((m) => m.type === 'connection_ack')),
      'two acks',
    );
    const third = await open(suite.server.ws);
    third.send(hello);
    expect(await third.closed).toBe(4429);

    first.close();
    await first.closed;
    const fourth = await open(suite.server.ws);
    fourth.send(hello);
    await until(() => fourth.messages.some((m) => m.type === 'connection_ack'), 'a place freed');
    second.close();
    fourth.close();
  });

  it(
    'closes an HTTP connection whose body stalls (CLICKS_HTTP_TIMEOUT_MS)',
    { timeout: 8000 },
    async () => {
      const { hostname, port } = new URL(suite.server.webhook);
      const socket = connect(Number(port), hostname);
      await new Promise((resolve) => socket.once('connect', resolve));
      const started = Date.now();
      socket.write(
        'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"object":',
      );
      await new Promise((resolve) => socket.once('close', resolve));
      const held = Date.now() - started;
      expect(held).toBeGreaterThanOrEqual(900);
      expect(held).toBeLessThan(5000);
    },
  );

  it('caps the subscriptions of one socket (opened longer ago than the HTTP timeout)', async () => {
    const socket = await open(suite.server.ws);
    socket.send({ type: 'connection_init', payload: { authorization: 'Bearer a-key' } });
    await until(() => socket.messages.some((m) => m.type === 'connection_ack'), 'the ack');
    // A websocket is no stalled request: it outlives CLICKS_HTTP_TIMEOUT_MS (1 s here).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const id of ['s1', 's2', 's3', 's4']) socket.send(subscribeMessage(id));
    await until(() => socket.messages.some((m) => m.id === 's4'), 'the answer to s4');
    const refused = socket.messages.find((m) => m.id === 's4')!;
    expect(refused.type).toBe('error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(socket.messages.filter((m) => m.type === 'error' && m.id !== 's4')).toEqual([]);
    socket.close();
  });
});
