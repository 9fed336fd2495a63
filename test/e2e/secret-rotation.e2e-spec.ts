// Rotating Meta's app secret (or serving several Meta apps) without dropping a webhook:
// WHATSAPP_APP_SECRET=new,old accepts both until the old one is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

describe('app secret rotation', () => {
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await sqliteDatabase();
    server = await startTestServer({
      DATABASE_URL: database.url,
      WHATSAPP_APP_SECRET: 'new-secret,old-secret',
    });
  });
  afterAll(async () => {
    await server?.app.close();
    await database?.dispose();
  });

  it('stores deliveries signed with either secret, and refuses any other', async () => {
    const delivery = () => sampleClickDelivery({ actions: [sampleClickAction()] });
    const withNew = await postWebhook(server.webhook, delivery(), { secret: 'new-secret' });
    const withOld = await postWebhook(server.webhook, delivery(), { secret: 'old-secret' });
    const withOther = await postWebhook(server.webhook, delivery(), { secret: 'other-secret' });
    expect([withNew.status, withOld.status, withOther.status]).toEqual([200, 200, 401]);
    expect(await database.count('click_events')).toBe(2);
  });
});
