// Rotating Meta's app secret (or serving several Meta apps) without dropping a webhook:
// WHATSAPP_APP_SECRET=new,old accepts both until the old one is removed.
import { describe, expect, it } from 'vitest';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { serverForSuite } from '../support/server.js';
import { postWebhook } from '../support/webhooks.js';

describe('app secret rotation', () => {
  const suite = serverForSuite({ WHATSAPP_APP_SECRET: 'new-secret,old-secret' });

  it('stores deliveries signed with either secret, and refuses any other', async () => {
    const delivery = () => sampleClickDelivery({ actions: [sampleClickAction()] });
    const withNew = await postWebhook(suite.server.webhook, delivery(), { secret: 'new-secret' });
    const withOld = await postWebhook(suite.server.webhook, delivery(), { secret: 'old-secret' });
    const withOther = await postWebhook(suite.server.webhook, delivery(), {
      secret: 'other-secret',
    });
    expect([withNew.status, withOld.status, withOther.status]).toEqual([200, 200, 401]);
    expect(await suite.database.count('click_events')).toBe(2);
  });
});
