// Every argument of the GraphQL API is validated before anything runs: a bad one is
// BAD_USER_INPUT with a message that names it (nested ones by their path), over HTTP and graphql-ws.
import { describe, expect, it } from 'vitest';
import { codes, graphql } from '../support/graphql.js';
import { serverForSuite } from '../support/server.js';
import { subscribe, wsClient } from '../support/subscriptions.js';

const PAGE = `query Page($account: ID!, $filter: ClickEventFilter, $first: Int, $after: String) {
  clickEvents(businessAccountId: $account, filter: $filter, first: $first, after: $after) { totalCount }
}`;
const STATS = `query Stats($account: ID!, $filter: ClickEventFilter, $limit: Int, $tz: String) {
  clickStats(businessAccountId: $account, filter: $filter) {
    total byProduct(limit: $limit) { key count } timeseries(interval: DAY, timezone: $tz) { start count }
  }
}`;
const BY_ID = `query One($id: ID!) { clickEvent(id: $id) { id } }`;
const long = (n: number) => 'x'.repeat(n);

describe('GraphQL inputs', () => {
  const suite = serverForSuite();

  it.each([
    ['first 0', PAGE, { first: 0 }, /^"first" must be from 1 to 500, not 0$/],
    ['first 501', PAGE, { first: 501 }, /^"first" must be from 1 to 500, not 501$/],
    ['a garbage cursor', PAGE, { after: '%%%' }, /^"after" is not a cursor of clickEvents: "%%%"$/],
    [
      'a huge cursor',
      PAGE,
      { after: long(300) },
      /^"after" is not a cursor of clickEvents, not "x{40}…"$/,
    ],
    [
      'an empty account',
      PAGE,
      { account: '' },
      /^"businessAccountId" must be 1 to 128 characters, not ""$/,
    ],
    [
      'a 200-character account',
      STATS,
      { account: long(200) },
      /^"businessAccountId" must be 1 to 128 characters/,
    ],
    [
      'a long filter.productId',
      PAGE,
      { filter: { productId: long(600) } },
      /^"filter.productId" must be at most 512 characters/,
    ],
    [
      'a long filter.clickId',
      STATS,
      { filter: { clickId: long(513) } },
      /^"filter.clickId" must be at most 512 characters/,
    ],
    [
      'a long filter.phoneNumberId',
      STATS,
      { filter: { phoneNumberId: long(513) } },
      /^"filter.phoneNumberId" must be at most 512/,
    ],
    [
      'a long filter.actionType',
      STATS,
      { filter: { actionType: long(513) } },
      /^"filter.actionType" must be at most 512/,
    ],
    ['a byProduct limit of 0', STATS, { limit: 0 }, /^"limit" must be from 1 to 1000, not 0$/],
    [
      'a byProduct limit of 1001',
      STATS,
      { limit: 1001 },
      /^"limit" must be from 1 to 1000, not 1001$/,
    ],
    [
      'an unknown time zone',
      STATS,
      { tz: 'Mars/Olympus' },
      /^"timezone" must be an IANA time zone such as "Europe\/Berlin", not "Mars\/Olympus"$/,
    ],
    ['a 100-character id', BY_ID, { id: long(100) }, /^"id" must be at most 64 characters/],
    [
      'a NUL in filter.productId',
      PAGE,
      { filter: { productId: 'a\u0000b' } },
      /^"filter.productId" must not contain NUL or lone surrogates/,
    ],
    [
      'a lone surrogate in the account',
      STATS,
      { account: 'waba-\ud800' },
      /^"businessAccountId" must not contain NUL or lone surrogates/,
    ],
  ])('is BAD_USER_INPUT naming the argument for %s', async (_name, query, variables, message) => {
    const answer = await graphql(suite.server.graphql, query, {
      account: 'waba-a',
      id: '1',
      ...variables,
    });
    expect(codes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors![0]!.message).toMatch(message);
  });

  it('reports every bad argument of a field at once', async () => {
    const answer = await graphql(suite.server.graphql, PAGE, {
      account: '',
      first: 0,
      filter: { productId: long(600) },
    });
    const message = answer.errors![0]!.message;
    for (const name of ['"businessAccountId"', '"first"', '"filter.productId"']) {
      expect(message).toContain(name);
    }
  });

  it('refuses 1,000 aliases of clickEvent(id) by cost', async () => {
    const aliases = Array.from(
      { length: 1000 },
      (_, i) => `e${i}: clickEvent(id: "${i + 1}") { id }`,
    );
    const answer = await graphql(suite.server.graphql, `{ ${aliases.join(' ')} }`);
    expect(answer.status).toBe(400);
    expect(answer.errors![0]!.message).toMatch(/query cost \d+ is above the limit of 2000/);
  });

  it.each([
    [
      'a body over 1 MiB',
      'application/json',
      JSON.stringify({ query: `{ __typename }`, pad: long(1_100_000) }),
      413,
    ],
    ['malformed JSON', 'application/json', '{"query": ', 400],
    ['a form', 'application/x-www-form-urlencoded', 'query=%7B__typename%7D', 415],
    ['multipart', 'multipart/form-data; boundary=x', '--x\r\n\r\n--x--', 415],
  ])('answers %s on /graphql with %i, not 500', async (_name, type, body, status) => {
    const response = await fetch(suite.server.graphql, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    expect(response.status).toBe(status);
  });

  it('answers null, not an error, for an id that is not a click id', async () => {
    const answer = await graphql(suite.server.graphql, BY_ID, { id: 'not-a-click' });
    expect(answer).toMatchObject({ data: { clickEvent: null } });
    expect(answer.errors).toBeUndefined();
  });

  it('refuses a subscription with a bad filter, naming it, over graphql-ws', async () => {
    const client = wsClient(suite.server.ws);
    const subscriber = subscribe(client, { account: 'waba-a', filter: { productId: long(600) } });
    try {
      for (let i = 0; i < 100 && subscriber.errors.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(subscriber.events).toEqual([]);
      expect(JSON.stringify(subscriber.errors)).toMatch(
        /"filter.productId\\" must be at most 512 characters/,
      );
      expect(JSON.stringify(subscriber.errors)).toContain('BAD_USER_INPUT');
    } finally {
      subscriber.stop();
      await client.dispose();
    }
  });
});
