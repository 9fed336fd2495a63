import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { WHATSAPP_CLICKS_WEBHOOK_PATH } from '../whatsapp-clicks.constants.js';

/** Options of the host's own JSON and URL-encoded parsers (Express's `json()` options). */
export interface WhatsAppClicksBodyParserOptions {
  /** The host's limit for every other route. Default: Express's `'100kb'`. */
  limit?: number | string;
}

interface ExpressBodyParserHost {
  useBodyParser(parser: 'json' | 'urlencoded', options?: Record<string, unknown>): unknown;
}

/**
 * Installs the host's JSON and URL-encoded body parsers so that they leave the webhook route
 * alone: the module then reads the exact bytes itself, with its own limit, and checks the
 * signature before looking at them. Only so is a signed body that is not JSON answered 400 and
 * kept, and an unsigned one 401 whatever it holds.
 *
 * Express only. Call it before `listen()`, in place of `app.useBodyParser('json', ...)`.
 * Without it, `NestFactory.create(AppModule, { rawBody: true })` with a JSON limit of at least
 * 3 MB also works; then the host's parser answers malformed JSON itself (400, nothing kept).
 */
export function useWhatsAppClicksBodyParser(
  app: INestApplication,
  options: WhatsAppClicksBodyParserOptions = {},
): void {
  if (app.getHttpAdapter().getType() !== 'express') {
    throw new Error('useWhatsAppClicksBodyParser works with @nestjs/platform-express only');
  }
  const route = `/${String(app.get(WHATSAPP_CLICKS_WEBHOOK_PATH, { strict: false })).replace(/^\/+|\/+$/g, '')}`;
  const isWebhook = (req: IncomingMessage) => {
    const path = (req.url ?? '').split('?', 1)[0].replace(/\/+$/, '');
    return path === route || path.endsWith(route);
  };
  const parse = (contentType: RegExp) => (req: IncomingMessage) =>
    !isWebhook(req) && contentType.test(req.headers['content-type'] ?? '');
  const host = app as unknown as ExpressBodyParserHost;
  host.useBodyParser('json', {
    limit: options.limit,
    type: parse(/^application\/([\w.-]+\+)?json\b/i),
  });
  host.useBodyParser('urlencoded', {
    limit: options.limit,
    extended: true,
    type: parse(/^application\/x-www-form-urlencoded\b/i),
  });
}
