/**
 * Meta's own click counts: `GET /<WABA_ID>/template_analytics` of the Graph API, for Marketing
 * Messages (`product_type=MARKETING_MESSAGES_LITE_API`), CLICKED per day, as Meta documents it:
 * `{ data: [{ data_points: [{ template_id, start, end, clicked: [{ type, button_content, count }] }] }],
 * paging: { next } }`. Only URL buttons count: those are the CTA clicks webhooks report.
 */

const DAY_MS = 86_400_000;
/** Most pages followed per request: Meta pages daily points 30 at a time. */
const MAX_PAGES = 20;

export interface GraphApiSettings {
  /** Such as `https://graph.facebook.com/v21.0`. */
  baseUrl: string;
  accessToken: string;
  templateIds: readonly string[];
  timeoutMs: number;
}

/** Why Meta could not be asked (network, HTTP status, shape): the message says which. */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
}

/** CTA clicks per UTC day (ms of its midnight) of one account between `from` and `to` (days). */
export async function metaCtaClicks(
  settings: GraphApiSettings,
  businessAccountId: string,
  from: number,
  to: number,
): Promise<Map<number, number>> {
  const url = new URL(
    `${settings.baseUrl.replace(/\/+$/, '')}/${businessAccountId}/template_analytics`,
  );
  url.search = new URLSearchParams({
    start: String(Math.floor(from / 1000)),
    end: String(Math.floor(to / 1000)),
    granularity: 'DAILY',
    metric_types: JSON.stringify(['CLICKED']),
    template_ids: JSON.stringify(settings.templateIds),
    product_type: 'MARKETING_MESSAGES_LITE_API',
  }).toString();
  const days = new Map<number, number>();
  let next: string | null = url.toString();
  for (let page = 0; next !== null && page < MAX_PAGES; page++) {
    const body = await getJson(next, settings);
    for (const series of arrayOf(body, 'data')) {
      for (const point of arrayOf(series, 'data_points')) {
        const start = Number((point as { start?: unknown }).start);
        if (!Number.isFinite(start)) throw new GraphApiError('a data point without a start');
        const day = Math.floor((start * 1000) / DAY_MS) * DAY_MS;
        let clicks = 0;
        for (const click of arrayOf(point, 'clicked')) {
          const { type, count } = click as { type?: unknown; count?: unknown };
          if (type === 'url_button' && typeof count === 'number') clicks += count;
        }
        days.set(day, (days.get(day) ?? 0) + clicks);
      }
    }
    const paging = (body as { paging?: { next?: unknown } }).paging;
    next = typeof paging?.next === 'string' ? paging.next : null;
  }
  return days;
}

async function getJson(url: string, settings: GraphApiSettings): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${settings.accessToken}` },
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (error) {
    throw new GraphApiError(`the Graph API did not answer: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    // Meta's error body names the problem (an expired token, a wrong id); never the token.
    const message = /"message"\s*:\s*"([^"]{0,200})/.exec(text)?.[1] ?? text.slice(0, 200);
    throw new GraphApiError(`the Graph API answered ${response.status}: ${message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GraphApiError('the Graph API answered something that is not JSON');
  }
}

function arrayOf(value: unknown, key: string): unknown[] {
  const list = (value as Record<string, unknown> | null)?.[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new GraphApiError(`"${key}" is not an array`);
  return list;
}
