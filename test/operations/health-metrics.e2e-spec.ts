import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunnelCounter } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { brokerProblem, OwnNatsServer } from '../support/brokers.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { handedOn } from '../support/outbox.js';
import { serverForSuite, startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

const targets = await databaseTargets();
const natsProblem = await brokerProblem('nats');

/** The value of one sample of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function health(server: TestServer) {
  const response = await fetch(`${server.base}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe.each(targets)('health and metrics on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let server: TestServer;

    beforeAll(async () => {
      db = await target.create();
      server = await startTestServer({ DATABASE_URL: db.url });
    });
    afterAll(async () => {
      await server?.app.close();
      await db?.dispose();
    });

    it('GET /health is 200 in terminus shape while the database answers', async () => {
      const { status, body } = await health(server);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' } },
      });
      expect(Object.keys(body.details)).toEqual(['database']);
    });

    it('counts in /metrics exactly what was sent', async () => {
      const account = `metrics-${randomUUID().slice(0, 8)}`;
      const delivery = (actions: Record<string, unknown>[]) =>
        sampleClickDelivery({ businessAccountId: account, actions });
      const three = delivery(
        [1, 2, 3].map((i) => sampleClickAction({ click_id: `${account}-${i}` })),
      );
      expect((await postWebhook(server.webhook, three)).status).toBe(200);
      expect((await postWebhook(server.webhook, three)).status).toBe(200); // 3 duplicates
      const odd = delivery([
        sampleClickAction({ click_id: `${account}-lpv`, action_type: 'landing_page_view' }),
        {
          ...sampleClickAction({ click_id: `${account}-new` }),
          action_type: 'shiny_new_type',
          client_user_agent: 'UA',
        },
        { action_type: 'marketing_messages_link_click' }, // no timestamp: rejected
      ]);
      expect((await postWebhook(server.webhook, odd)).status).toBe(200);
      const statuses = {
        object: 'whatsapp_business_account',
        entry: [{ id: account, changes: [{ field: 'messages', value: { statuses: [{}] } }] }],
      };
      expect((await postWebhook(server.webhook, statuses)).status).toBe(200);
      expect((await postWebhook(server.webhook, three, { secret: null })).status).toBe(401);
      expect((await postWebhook(server.webhook, three, { secret: 'wrong-secret' })).status).toBe(
        401,
      );
      expect((await postWebhook(server.webhook, 'not json {')).status).toBe(400);
      // The clicks just stored wait for the funnel counter (every 100 ms): counted now.
      await server.app.get(FunnelCounter, { strict: false }).countAll();

      const response = await fetch(`${server.base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(sample(text, 'whatsapp_clicks_webhook_requests_total', 'status="200"')).toBe(4);
      expect(sample(text, 'whatsapp_clicks_webhook_requests_total', 'status="401"')).toBe(2);
      expect(sample(text, 'whatsapp_clicks_webhook_requests_total', 'status="400"')).toBe(1);
      expect(sample(text, 'whatsapp_clicks_actions_total', 'outcome="stored"')).toBe(5);
      expect(sample(text, 'whatsapp_clicks_actions_total', 'outcome="duplicate"')).toBe(3);
      expect(sample(text, 'whatsapp_clicks_actions_total', 'outcome="rejected"')).toBe(1);
      expect(sample(text, 'whatsapp_clicks_ignored_total')).toBe(1);
      expect(sample(text, 'whatsapp_clicks_rejected_bodies_total')).toBe(1);
      expect(
        sample(text, 'whatsapp_clicks_unknown_action_types_total', 'action_type="shiny_new_type"'),
      ).toBe(1);
      expect(text).not.toContain('action_type="landing_page_view"');
      expect(
        sample(text, 'whatsapp_clicks_unknown_fields_total', 'field="client_user_agent"'),
      ).toBe(1);
      // Every answered delivery with a body that passed the signature is timed (200s and 400).
      expect(sample(text, 'whatsapp_clicks_ingest_duration_seconds_count')).toBe(5);
      expect(sample(text, 'whatsapp_clicks_live_subscriptions')).toBe(0);
      expect(sample(text, 'whatsapp_clicks_funnel_queued')).toBe(0);
      expect(sample(text, 'whatsapp_clicks_scans_waiting')).toBe(0);
      // PostgreSQL only: the deltas wait at most a second for the fold.
      if (target.kind === 'postgres') {
        expect(sample(text, 'whatsapp_clicks_rollup_deltas')).toBeGreaterThanOrEqual(0);
      } else expect(text).not.toContain('whatsapp_clicks_rollup_deltas');
      expect(text).toContain('process_resident_memory_bytes');
      expect(text).not.toContain('whatsapp_clicks_forward_pending');
    });

    if (target.kind === 'postgres') {
      it('GET /health is 503 while the database is cut, and 200 again after', async () => {
        await db.makeUnavailable();
        try {
          const { status, body } = await health(server);
          expect(status).toBe(503);
          expect(body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
        } finally {
          await db.restore();
        }
        await expect.poll(async () => (await health(server)).status, { timeout: 10_000 }).toBe(200);
      });
    }
  });
});

describe('METRICS_TOKEN', () => {
  const suite = serverForSuite({ METRICS_TOKEN: 'a-metrics-token-of-32-characters' });

  it('refuses /metrics without the bearer token, and serves it with', async () => {
    const url = `${suite.server.base}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const wrong = { authorization: 'Bearer another-token-of-32-characters' };
    expect((await fetch(url, { headers: wrong })).status).toBe(401);
    const right = { authorization: 'Bearer a-metrics-token-of-32-characters' };
    const response = await fetch(url, { headers: right });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('whatsapp_clicks_webhook_requests_total');
  });
});

describe.skipIf(natsProblem !== null)('health and metrics of forwarding', () => {
  let nats: OwnNatsServer;
  const suite = { server: undefined as unknown as TestServer };
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    nats = await OwnNatsServer.started();
    const { sqliteDatabase } = await import('../support/databases.js');
    const db = await sqliteDatabase();
    suite.server = await startTestServer({ DATABASE_URL: db.url, CLICKS_FORWARD_URL: nats.url });
    dispose = () => db.dispose();
  });
  afterAll(async () => {
    await suite.server?.app.close();
    await nats?.dispose();
    await dispose?.();
  });

  it('shows the forward entry (up, then degraded while the broker is down: still 200) and the pending gauge', async () => {
    const { server } = suite;
    expect((await health(server)).body.details.forward).toEqual({ status: 'up', pending: 0 });
    await nats.stop();
    const account = `fwd-${randomUUID().slice(0, 8)}`;
    const delivery = sampleClickDelivery({
      businessAccountId: account,
      actions: [
        sampleClickAction({ click_id: `${account}-1` }),
        sampleClickAction({ click_id: `${account}-2` }),
      ],
    });
    expect((await postWebhook(server.webhook, delivery)).status).toBe(200);
    await expect
      .poll(async () => (await health(server)).body.details.forward?.status, { timeout: 10_000 })
      .toBe('degraded');
    const during = await health(server);
    expect(during.status).toBe(200);
    expect(during.body.status).toBe('degraded');
    expect(during.body.details.forward.pending).toBe(2);
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(sample(text, 'whatsapp_clicks_forward_pending')).toBe(2);

    await nats.start();
    await handedOn(server.app, 30_000);
    await expect
      .poll(async () => (await health(server)).body.details.forward, { timeout: 10_000 })
      .toEqual({ status: 'up', pending: 0 });
  });
});
