// A server on one database target, seeded with `seedClicks()`, for the GraphQL read API specs:
// the queries they send, and how they walk a connection page by page.
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, expect } from 'vitest';
import { deliveriesOf, seedClicks } from '../fixtures/seed-clicks.js';
import type { DatabaseTarget, TestDatabase } from './databases.js';
import { graphql } from './graphql.js';
import { startTestServer } from './server.js';
import { postWebhook } from './webhooks.js';

/** Keys: one for every account, one for A, one for A and B. */
export const KEYS = 'all-key=*,a-key=waba-a,ab-key=waba-a|waba-b';

export const PAGE = `query Page($account: ID!, $filter: ClickEventFilter, $first: Int, $after: String) {
  clickEvents(businessAccountId: $account, filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id businessAccountId clickId clickComponent productId phoneNumberId actionType occurredAt } }
  }
}`;

export const STATS = `query Stats($account: ID!, $filter: ClickEventFilter, $limit: Int) {
  clickStats(businessAccountId: $account, filter: $filter) {
    total
    byComponent { key count }
    byActionType { key count }
    byPhoneNumber { key count }
    byProduct(limit: $limit) { key count }
  }
}`;

export const SERIES = `query Series($account: ID!, $filter: ClickEventFilter, $interval: StatsInterval!, $tz: String) {
  clickStats(businessAccountId: $account, filter: $filter) { timeseries(interval: $interval, timezone: $tz) { start count } }
}`;

export type Node = {
  id: string;
  businessAccountId: string;
  clickId: string | null;
  clickComponent: string | null;
  productId: string | null;
  phoneNumberId: string;
  actionType: string;
  occurredAt: string;
};

/**
 * Starts the server before the suite's tests (and stops it after): account A's seeded clicks,
 * a query with a key (`all-key` unless told), and `walk`, every node of a filtered connection,
 * `first` at a time.
 */
export function seededGraphql(target: DatabaseTarget) {
  let db: TestDatabase;
  let app: INestApplication;
  const server = { url: '', webhook: '' };
  const seeded = seedClicks();
  const query = (q: string, variables: Record<string, unknown> = {}, key = 'all-key') =>
    graphql(server.url, q, variables, key);

  async function walk(account: string, filter: object | null, first: number, key = 'all-key') {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const answer = await query(PAGE, { account, filter, first, after }, key);
      expect(answer.errors).toBeUndefined();
      const connection = answer.data.clickEvents;
      nodes.push(...connection.edges.map((e: { node: Node }) => e.node));
      if (!connection.pageInfo.hasNextPage) return nodes;
      after = connection.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    db = await target.create();
    const started = await startTestServer({ DATABASE_URL: db.url, CLICKS_API_KEYS: KEYS });
    app = started.app;
    server.url = started.graphql;
    server.webhook = started.webhook;
    for (const delivery of deliveriesOf(seeded)) {
      const answer = await postWebhook(server.webhook, delivery);
      expect(answer.status).toBe(200);
    }
  });

  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  return {
    server,
    ofA: seeded.filter((c) => c.account === 'waba-a'),
    query,
    walk,
  };
}
