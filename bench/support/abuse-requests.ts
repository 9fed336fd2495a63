// The abusive requests of issue 15 for bench:abuse, each sent once to a running server: what
// each gets (status, error code, time), and the GraphQL and webhook requests they are made of.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { SECRET } from './ingest-load.js';

/**
 * Any body POSTed to /graphql, no key: the server under test is open, as issue 15's attacker
 * found it.
 */
async function postGraphql(
  url: string,
  body: string,
  type = 'application/json',
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** A GraphQL query over HTTP. */
export const graphql = (url: string, query: string) => postGraphql(url, JSON.stringify({ query }));

function signed(body: string) {
  return {
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
  };
}

async function post(url: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: signed(body),
    body,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const action = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  action_type: 'marketing_messages_link_click',
  timestamp: '1735689600',
  marketing_messages_link_click_data: { click_component: 'cta', tracking_token: 't', ...data },
  ...extra,
});
const deliveryOf = (actions: unknown[], account = 'waba-abuse') =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: account,
        changes: [
          {
            field: 'messages',
            value: { metadata: { phone_number_id: 'p' }, user_actions: actions },
          },
        ],
      },
    ],
  });
const deepJson = (depth: number) => `${'{"n":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Each abusive request of issue 15, once. */
export async function abuseTable(url: string): Promise<string[][]> {
  const rows: string[][] = [];
  const record = async (name: string, run: () => Promise<{ status: number; body: any }>) => {
    const started = performance.now();
    // A client still sending a body the server has refused may see the connection closed
    // (EPIPE) instead of the 413.
    const { status, body } = await run().catch((error: Error & { cause?: { code?: string } }) => ({
      status: 0,
      body: { message: `connection closed while sending (${error.cause?.code ?? error.message})` },
    }));
    const ms = (performance.now() - started).toFixed(0);
    const code =
      body?.errors?.[0]?.extensions?.code ??
      (body?.stored !== undefined
        ? `stored ${body.stored}, rejected ${body.rejected}`
        : (body?.message ?? '').slice(0, 60));
    rows.push([name, String(status), String(code), ms]);
  };
  const stats = (filter: string) =>
    `{ clickStats(businessAccountId: "waba-0", filter: ${filter}) { timeseries(interval: DAY) { start count } } }`;
  await record('timeseries, only `to` in 9999', () =>
    graphql(url, stats('{ to: "9999-12-31T00:00:00Z" }')),
  );
  await record('timeseries, only `to` at +275760', () =>
    graphql(url, stats('{ to: "+275760-09-13T00:00:00.000Z" }')),
  );
  await record('first: -2147483648 + 400 clickStats', () =>
    graphql(
      url,
      `{ clickEvents(businessAccountId: "waba-0", first: -2147483648) { totalCount } ${Array.from({ length: 400 }, (_, i) => `s${i}: clickStats(businessAccountId: "waba-0") { total }`).join(' ')} }`,
    ),
  );
  await record('1,000 aliases of clickEvent(id)', () =>
    graphql(
      url,
      `{ ${Array.from({ length: 1000 }, (_, i) => `e${i}: clickEvent(id: "${i + 1}") { id }`).join(' ')} }`,
    ),
  );
  await record('a 1 MB account id', () =>
    graphql(url, `{ clickStats(businessAccountId: "${'x'.repeat(1_000_000)}") { total } }`),
  );
  await record('NUL in a filter', () =>
    graphql(
      url,
      '{ clickEvents(businessAccountId: "waba-0", filter: { productId: "a\\u0000b" }) { totalCount } }',
    ),
  );
  await record('/graphql body of 2 MB', () =>
    postGraphql(url, JSON.stringify({ query: '{__typename}', pad: 'x'.repeat(2_000_000) })),
  );
  await record('/graphql malformed JSON', () => postGraphql(url, '{"query":'));
  await record('/graphql as a form', () =>
    postGraphql(url, 'query=x', 'application/x-www-form-urlencoded'),
  );
  await record('webhook: a valid action beside one nested 3,100 deep', () =>
    post(
      url,
      deliveryOf([action({ click_id: 'ok-deep' })]).replace(
        '"user_actions":[',
        `"user_actions":[${JSON.stringify(action({ click_id: 'deep' })).replace(/}$/, `,"x":${deepJson(3100)}}`)},`,
      ),
    ),
  );
  await record('webhook: click_id of 3,000 bytes beside a valid one', () =>
    post(
      url,
      deliveryOf([action({ click_id: 'ok-long' }), action({ click_id: 'x'.repeat(3000) })]),
    ),
  );
  await record('webhook: 9,400 rejected actions beside a valid one', () =>
    post(
      url,
      deliveryOf([
        action({ click_id: 'ok-many' }),
        ...Array.from({ length: 9400 }, () => ({ action_type: 'x' })),
      ]),
    ),
  );
  await record('webhook: 1,000 entries x 1,000 actions', () => {
    const entry = JSON.parse(deliveryOf(Array.from({ length: 1000 }, () => ({ action_type: 'x' }))))
      .entry[0];
    return post(
      url,
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: Array.from({ length: 1000 }, () => entry),
      }),
    );
  });
  await record(
    'webhook: a body that stalls (30 s timeout)',
    () =>
      new Promise((resolve) => {
        const { hostname, port } = new URL(url);
        const socket = connect(Number(port), hostname, () =>
          socket.write(
            'POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          ),
        );
        socket.on('close', () =>
          resolve({ status: 0, body: { message: 'connection closed by the server' } }),
        );
      }),
  );
  return rows;
}
