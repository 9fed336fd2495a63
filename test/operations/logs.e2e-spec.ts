import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { signatureFor } from '../../src/webhook/webhook-signature.js';
import { freePort } from '../support/brokers.js';
import { postWebhook } from '../support/webhooks.js';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));
const SECRET = 'log-test-app-secret-5f1c';
const VERIFY_TOKEN = 'log-test-verify-token-93ab';
const API_KEY = 'log-test-api-key-77d2';
const ADMIN_KEY = 'log-test-admin-key-c0de';
const METRICS_TOKEN = 'log-test-metrics-token-0123456789';

/** The built server as `npm start` runs it, in production, logging at debug. */
describe('logs of the standalone server (production, LOG_LEVEL=debug)', () => {
  let child: ChildProcess;
  let output = '';
  let base = '';
  let dir = '';
  const signatures: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clicks-logs-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'debug',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'clicks.sqlite')}`,
        WHATSAPP_APP_SECRET: SECRET,
        WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
        CLICKS_API_KEYS: `${API_KEY}=*`,
        CLICKS_ADMIN_KEYS: ADMIN_KEY,
        METRICS_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let waited = 0; !output.includes('listening on'); waited += 100) {
      if (waited > 20_000 || child.exitCode !== null) throw new Error(`no start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const webhook = `${base}/webhooks/whatsapp`;
    const post = async (body: unknown, options: Parameters<typeof postWebhook>[2] = {}) => {
      const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      signatures.push(signatureFor(bytes, SECRET).slice('sha256='.length));
      return postWebhook(webhook, bytes, { secret: SECRET, ...options });
    };
    const delivery = sampleClickDelivery({
      actions: [
        sampleClickAction({ click_id: 'log-1' }),
        { action_type: 'marketing_messages_link_click' },
      ],
    });
    expect((await post(delivery)).status).toBe(200);
    expect((await post(delivery)).status).toBe(200);
    expect((await post('not json')).status).toBe(400);
    expect((await post(delivery, { secret: 'wrong' })).status).toBe(401);
    expect((await post(delivery, { secret: null })).status).toBe(401);
    for (const token of [VERIFY_TOKEN, 'wrong-token']) {
      await fetch(`${webhook}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=c`);
    }
    const query = JSON.stringify({ query: '{ clickStats(businessAccountId: "x") { total } }' });
    for (const key of [API_KEY, ADMIN_KEY, 'unknown-key']) {
      await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: query,
      });
    }
    for (const token of [METRICS_TOKEN, 'wrong']) {
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }, 60_000);

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes JSON lines only', () => {
    const lines = output.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it('logs one line per delivery at debug, and rejections as warnings', () => {
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const deliveries = lines.filter((l) => String(l.msg).startsWith('delivery of'));
    expect(deliveries).toHaveLength(2);
    expect(deliveries.every((l) => l.level === 20)).toBe(true);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes('rejected action'))).toBe(
      true,
    );
    expect(
      lines.some((l) => l.level === 40 && String(l.msg).includes('refused 1 webhook POST')),
    ).toBe(true);
    expect(lines.some((l) => String(l.msg).includes('stopped in'))).toBe(true);
  });

  it('never logs a secret, a verify token, an API key, a metrics token or a signature', () => {
    for (const secret of [SECRET, VERIFY_TOKEN, API_KEY, ADMIN_KEY, METRICS_TOKEN, ...signatures]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/authorization/i);
  });
});
