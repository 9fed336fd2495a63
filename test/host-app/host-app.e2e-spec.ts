import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickEvent, ClickEventRepository, IngestCounters } from 'nestjs-whatsapp-clicks';
import {
  sampleClickAction,
  sampleClickDelivery,
  signWebhookBody,
} from 'nestjs-whatsapp-clicks/testing';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClickCollector,
  FailingHandler,
  HOST_DATA_SOURCE,
  HostAppModule,
  HostNote,
  SlowHandler,
  ThrowingSyncHandler,
} from './host-app.module.js';

describe('a host app importing the package with forRootAsync', () => {
  let dir: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clicks-host-'));
    process.env.HOST_DB_FILE = join(dir, 'host.sqlite');
    const moduleRef = await Test.createTestingModule({ imports: [HostAppModule] }).compile();
    // The common host setup: Nest keeps the raw bytes, the JSON limit raised for Meta.
    app = moduleRef.createNestApplication<NestExpressApplication>({ rawBody: true, logger: false });
    (app as NestExpressApplication).useBodyParser('json', { limit: '5mb' });
    app.setGlobalPrefix('api');
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/api/hooks/meta`;
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: object, secret = 'host-app-secret') => {
    const bytes = Buffer.from(JSON.stringify(body));
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signWebhookBody(bytes, secret),
      },
      body: bytes,
    });
  };

  it('serves the handshake on its own route and token', async () => {
    const response = await fetch(
      `${url}?hub.mode=subscribe&hub.verify_token=host-verify-token&hub.challenge=42`,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('42');
  });

  it('stores into the host data source and hands each new click to its @OnClickEvent handler', async () => {
    const collector = app.get(ClickCollector);
    const failing = app.get(FailingHandler);
    const slow = app.get(SlowHandler);
    const clickId = `host-${Date.now()}`;

    const response = await post(
      sampleClickDelivery({
        businessAccountId: 'host-waba',
        actions: [sampleClickAction({ click_id: clickId })],
      }),
    );
    const answeredAt = slow.finished.length;

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ stored: 1, duplicates: 0, rejected: 0, ignored: 0 });
    // The slow handler had not finished when Meta got its answer.
    expect(answeredAt).toBe(0);
    await expect.poll(() => collector.received.length).toBe(1);
    expect(collector.received[0]!.clickEvent).toMatchObject({
      businessAccountId: 'host-waba',
      clickId,
    });
    await expect.poll(() => failing.calls).toBe(1);
    expect(app.get(ThrowingSyncHandler).calls).toBe(1);
    await expect.poll(() => slow.finished.length, { timeout: 5000 }).toBe(1);

    const dataSource = app.get<DataSource>(getDataSourceToken(HOST_DATA_SOURCE));
    // Read back through the host's TypeORM: the entity maps every column the migration made.
    const stored = await dataSource
      .getRepository(ClickEvent)
      .findOneByOrFail({ businessAccountId: 'host-waba' });
    expect(stored).toEqual({ ...collector.received[0]!.clickEvent });
    // The host's own entity lives beside ours in the same data source.
    await dataSource.getRepository(HostNote).save({ text: 'still mine' });
    expect(await dataSource.getRepository(HostNote).count()).toBe(1);
    expect(app.get(ClickEventRepository)).toBeInstanceOf(ClickEventRepository);
  });

  it("does not write a click into the host's own open transaction on the shared connection", async () => {
    const dataSource = app.get<DataSource>(getDataSourceToken(HOST_DATA_SOURCE));
    const clicks = dataSource.getRepository(ClickEvent);
    const clickId = `host-tx-${Date.now()}`;
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.manager.getRepository(HostNote).save({ text: 'rolled back' });

    let answered = false;
    const response = post(
      sampleClickDelivery({
        businessAccountId: 'host-waba-tx',
        actions: [sampleClickAction({ click_id: clickId })],
      }),
    ).finally(() => (answered = true));
    // Without its own transaction, the click would be in the host's, and answered 200 already.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered).toBe(false);
    await runner.rollbackTransaction();
    await runner.release();

    expect((await response).status).toBe(200);
    expect(await clicks.countBy({ clickId })).toBe(1);
    expect(await dataSource.getRepository(HostNote).countBy({ text: 'rolled back' })).toBe(0);
    const ofThisClick = () =>
      app.get(ClickCollector).received.filter((e) => e.clickEvent.clickId === clickId).length;
    await expect.poll(ofThisClick).toBe(1);
  });

  it('keeps answering and emitting after a handler failed, and never emits a duplicate', async () => {
    const collector = app.get(ClickCollector);
    const before = collector.received.length;
    const body = sampleClickDelivery({
      actions: [sampleClickAction({ click_id: `again-${Date.now()}` })],
    });

    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);

    await expect.poll(() => collector.received.length).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collector.received.length).toBe(before + 1);
    expect(app.get(IngestCounters).snapshot()).toMatchObject({ stored: before + 1, duplicates: 1 });
  });

  it("serves the module's queries in the host's own GraphQL schema, with the host's authorize", async () => {
    const ask = (tenant?: string) =>
      fetch(`${url.replace('/api/hooks/meta', '')}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(tenant ? { 'x-tenant': tenant } : {}) },
        body: JSON.stringify({
          query: '{ hostNoteCount clickStats(businessAccountId: "host-waba") { total } }',
        }),
      }).then((response) => response.json() as Promise<any>);

    expect(await ask('host-waba')).toEqual({
      data: { hostNoteCount: 1, clickStats: { total: 1 } },
    });
    const forbidden = await ask('other-waba');
    expect(forbidden.errors.map((e: any) => e.extensions.code)).toEqual(['FORBIDDEN']);
    const anonymous = await ask();
    expect(anonymous.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });

  const graphql = (query: string, tenant?: string) =>
    fetch(`${url.replace('/api/hooks/meta', '')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(tenant ? { 'x-tenant': tenant } : {}) },
      body: JSON.stringify({ query }),
    }).then((response) => response.json() as Promise<any>);

  it("limits only the module's fields: the host's own are the host's to limit", async () => {
    // 2,500 fields of the host's own: above the module's cost limit of 2,000 if it counted them.
    const hostFields = Array.from({ length: 2500 }, (_, i) => `h${i}: hostNoteCount`).join(' ');
    const hostOnly = await graphql(`{ ${hostFields} }`, 'host-waba');
    expect(hostOnly.errors).toBeUndefined();
    expect(Object.keys(hostOnly.data)).toHaveLength(2500);

    const stats = Array.from(
      { length: 200 },
      (_, i) =>
        `s${i}: clickStats(businessAccountId: "host-waba") { total byProduct { key count } }`,
    ).join(' ');
    const ours = await graphql(`{ hostNoteCount ${stats} }`, 'host-waba');
    expect(ours.errors.map((e: any) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(ours.errors[0].message).toMatch(/cost \d+ is above the limit of 2000/);
  });

  it('tells an anonymous caller nothing about which click ids exist', async () => {
    const [stored] = await app
      .get<DataSource>(getDataSourceToken(HOST_DATA_SOURCE))
      .getRepository(ClickEvent)
      .find({ take: 1 });
    const existing = await graphql(`{ clickEvent(id: "${stored!.id}") { id } }`);
    const missing = await graphql('{ clickEvent(id: "999999999") { id } }');
    expect(existing.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(missing.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect([existing.data, missing.data]).toEqual([{ clickEvent: null }, { clickEvent: null }]);
    // Out of scope and missing look alike too: null.
    expect(
      (await graphql(`{ clickEvent(id: "${stored!.id}") { id } }`, 'other-waba')).data,
    ).toEqual({
      clickEvent: null,
    });
    expect((await graphql('{ clickEvent(id: "999999999") { id } }', 'other-waba')).data).toEqual({
      clickEvent: null,
    });
  });

  it('answers 401 to a body signed with another secret', async () => {
    const response = await post(
      sampleClickDelivery({ actions: [sampleClickAction()] }),
      'dev-app-secret',
    );
    expect(response.status).toBe(401);
  });
});
