import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppClicksModule } from '../../src/index.js';
import { sampleClickAction, sampleClickDelivery } from '../../src/testing/index.js';
import { sqliteDatabase, type TestDatabase } from '../support/databases.js';
import { hostTypeOrm } from '../support/host-typeorm.js';
import { postWebhook, TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/webhooks.js';

/** A host that serves /metrics with @willsoto/nestjs-prometheus; the module only registers. */
describe('metrics: true in a host with @willsoto/nestjs-prometheus', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    db = await sqliteDatabase();
    @Module({
      imports: [
        hostTypeOrm(db.url.slice('sqlite:'.length)),
        EventEmitterModule.forRoot(),
        PrometheusModule.register({ defaultMetrics: { enabled: false } }),
        WhatsAppClicksModule.forRoot({
          appSecret: TEST_APP_SECRET,
          verifyToken: TEST_VERIFY_TOKEN,
          metrics: true,
        }),
      ],
    })
    class HostModule {}
    app = await NestFactory.create(HostModule, { rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
    register.clear();
    await db?.dispose();
  });

  it("registers on prom-client's default registry, served by the host's /metrics", async () => {
    const delivery = sampleClickDelivery({
      actions: [sampleClickAction({ click_id: 'host-m-1' })],
    });
    expect((await postWebhook(`${base}/webhooks/whatsapp`, delivery)).status).toBe(200);
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('whatsapp_clicks_actions_total{outcome="stored"} 1');
    expect(text).toContain('whatsapp_clicks_webhook_requests_total{status="200"} 1');
  });
});
