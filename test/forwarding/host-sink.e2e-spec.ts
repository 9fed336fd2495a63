import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickSink, type ForwardedClick, WhatsAppClicksModule } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { hostTypeOrm } from '../support/host-typeorm.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

/** A host's own sink: refuses while `down`, records every batch it took. */
class RecordingSink implements ClickSink {
  readonly name = 'recording';
  down = true;
  refused = 0;
  readonly batches: ForwardedClick[][] = [];

  async send(clicks: readonly ForwardedClick[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1)); // an acknowledgement takes a moment
    if (this.down) {
      this.refused++;
      throw new Error('the broker is down');
    }
    this.batches.push([...clicks]);
  }
}

const DELIVERIES = 25;
const ACTIONS = 1000;

describe("a host's own ClickSink, after an outage of 25,000 clicks", () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  const sink = new RecordingSink();

  beforeAll(async () => {
    db = await sqliteDatabase();
    @Module({
      imports: [
        hostTypeOrm(db.url.slice('sqlite:'.length)),
        WhatsAppClicksModule.forRoot({
          appSecret: TEST_APP_SECRET,
          verifyToken: TEST_VERIFY_TOKEN,
          forward: sink,
        }),
      ],
    })
    class HostModule {}
    app = await NestFactory.create<NestExpressApplication>(HostModule, {
      rawBody: true,
      logger: false,
    });
    app.useBodyParser('json', { limit: '3mb' }); // 1000-action deliveries
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('gets every click once it is back, in batches of at most 10,000', async () => {
    const webhook = `${await app.getUrl()}/webhooks/whatsapp`;
    for (let d = 0; d < DELIVERIES; d++) {
      const delivery = sampleClickDelivery({
        actions: Array.from({ length: ACTIONS }, (_, a) =>
          sampleClickAction({ click_id: `host-sink-${d}-${a}` }),
        ),
      });
      expect((await postWebhook(webhook, delivery)).json).toMatchObject({ stored: ACTIONS });
    }
    await expect.poll(() => sink.refused, { timeout: 5000 }).toBeGreaterThan(0);
    expect(sink.batches).toEqual([]);

    sink.down = false;
    const total = () => sink.batches.reduce((sum, batch) => sum + batch.length, 0);
    await expect.poll(total, { timeout: 20_000, interval: 100 }).toBe(DELIVERIES * ACTIONS);

    const ids = sink.batches.flat().map((click) => click.id);
    expect(new Set(ids).size).toBe(DELIVERIES * ACTIONS);
    const stored: { id: number }[] = await db.rows(`SELECT "id" FROM "click_events"`);
    expect(new Set(ids)).toEqual(new Set(stored.map((row) => String(row.id))));
    const sizes = sink.batches.map((batch) => batch.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10_000);
    // The backlog goes in few hand-offs, not one per delivery.
    expect(sizes.length).toBeLessThanOrEqual(DELIVERIES / 5);
  }, 60_000);
});
