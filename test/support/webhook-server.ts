// A server on one database target for the webhook specs, with the domain events it emitted
// since the test began and the rows it stored.
import type { INestApplication } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { CLICK_EVENT_RECEIVED, type ClickEventReceived } from '../../src/index.js';
import type { DatabaseTarget, TestDatabase } from './databases.js';
import { handedOn } from './outbox.js';
import { startTestServer } from './server.js';

export interface WebhookServer {
  db: TestDatabase;
  app: INestApplication;
  webhook: string;
  /** The domain events emitted since this test began (a test may empty it). */
  events: ClickEventReceived[];
  clickRows(): Promise<Record<string, unknown>[]>;
  rejectionRows(): Promise<Record<string, unknown>[]>;
  counts(): Promise<{ clicks: number; rejected: number }>;
}

/** Starts the server before the suite's tests and stops it after; the fields are set by then. */
export function webhookServer(target: DatabaseTarget): WebhookServer {
  const server = {
    events: [],
    clickRows: () =>
      server.db.rows<Record<string, unknown>>('SELECT * FROM "click_events" ORDER BY "id"'),
    rejectionRows: () =>
      server.db.rows<Record<string, unknown>>('SELECT * FROM "rejected_deliveries" ORDER BY "id"'),
    counts: async () => ({
      clicks: await server.db.count('click_events'),
      rejected: await server.db.count('rejected_deliveries'),
    }),
  } as unknown as WebhookServer;

  beforeAll(async () => {
    server.db = await target.create();
    ({ app: server.app, webhook: server.webhook } = await startTestServer({
      DATABASE_URL: server.db.url,
    }));
    server.app.get(EventEmitter2).on(CLICK_EVENT_RECEIVED, (event: ClickEventReceived) => {
      server.events.push(event);
    });
  });

  afterAll(async () => {
    await server.app?.close();
    await server.db?.dispose();
  });

  beforeEach(async () => {
    // Handlers run after the answer: the previous test's clicks must not reach this one.
    await handedOn(server.app);
    server.events = [];
  });

  return server;
}
