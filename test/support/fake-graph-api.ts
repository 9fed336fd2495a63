import { createServer, type Server } from 'node:http';

/** A day's clicks per button type, as Meta's template_analytics reports them. */
export type FakeDay = { start: number; clicked: { type: string; count: number }[] };

/**
 * Meta's Graph API as far as reconciliation uses it: `GET /v21.0/<waba>/template_analytics`,
 * answering the documented shape (`data[].data_points[]`, `paging.next`), one data point per
 * page so that paging is exercised. Records each request.
 */
export async function startFakeGraphApi(token: string) {
  const requests: URL[] = [];
  let days = new Map<string, FakeDay[]>();
  let failing: number | null = null;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(url);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (failing !== null) {
      return reply(failing, { error: { message: 'Service temporarily unavailable', code: 2 } });
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      return reply(401, { error: { message: 'Invalid OAuth access token', code: 190 } });
    }
    const match = /^\/v21\.0\/([^/]+)\/template_analytics$/.exec(url.pathname);
    if (!match) return reply(404, { error: { message: 'Unknown path' } });
    const points = (days.get(match[1]!) ?? []).filter(
      (day) =>
        day.start >= Number(url.searchParams.get('start')) &&
        day.start < Number(url.searchParams.get('end')),
    );
    const page = Number(url.searchParams.get('page') ?? 0);
    const point = points[page];
    const next = new URL(url);
    next.searchParams.set('page', String(page + 1));
    reply(200, {
      data: [
        {
          granularity: 'DAILY',
          product_type: 'marketing_messages_lite_api',
          data_points: point
            ? [
                {
                  template_id: 'tmpl-1',
                  start: point.start,
                  end: point.start + 86_400,
                  clicked: point.clicked.map((c) => ({ ...c, button_content: 'Shop now' })),
                },
              ]
            : [],
        },
      ],
      paging:
        page + 1 < points.length
          ? { next: `http://${req.headers.host}${next.pathname}${next.search}` }
          : {},
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}/v21.0`,
    requests,
    setDays(account: string, list: FakeDay[]) {
      days = new Map(days).set(account, list);
    },
    fail(status: number | null) {
      failing = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
