import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  WHATSAPP_CLICKS_CONFIG,
  WHATSAPP_CLICKS_WEBHOOK_PATH,
} from '../whatsapp-clicks.constants.js';
import { parseByteSize, type WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';

/** Options of the host's own body parsing, for every route but the webhook. */
export interface WhatsAppClicksBodyParserOptions {
  /**
   * The host's limit for every other route, in bytes or as a string such as `'100kb'`.
   * Default: the adapter's own (Express `'100kb'`, Fastify 1 MiB).
   */
  limit?: number | string;
}

interface ExpressBodyParserHost {
  useBodyParser(parser: 'json' | 'urlencoded', options?: Record<string, unknown>): unknown;
}

type ParserDone = (error: Error | null, body?: unknown) => void;
interface FastifyLike {
  removeContentTypeParser(types: string[]): void;
  addContentTypeParser(
    type: string | RegExp,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (req: { url: string; rawBody?: Buffer }, body: Buffer, done: ParserDone) => void,
  ): void;
}

const EXPRESS_DEFAULT_LIMIT = 100 * 1024;
const FASTIFY_DEFAULT_LIMIT = 1024 * 1024;

/**
 * Sets up the host's JSON body parsing so that the webhook route gets its exact bytes, read with
 * the module's own limit, while every other route is parsed as before. Only so is a signed body
 * that is not JSON answered 400 and kept, and an unsigned one 401 whatever it holds.
 *
 * Express: the JSON and URL-encoded parsers skip the webhook route and the module reads it.
 * Fastify: one JSON parser keeps the bytes of every request and hands the webhook route its
 * bytes unparsed. Create the app with `{ bodyParser: false }` and call this before `listen()`.
 * Without it, `NestFactory.create(AppModule, { rawBody: true })` (with a JSON limit of at least
 * 3 MB) also works; then the host's parser answers malformed JSON itself (400, nothing kept).
 */
export function useWhatsAppClicksBodyParser(
  app: INestApplication,
  options: WhatsAppClicksBodyParserOptions = {},
): void {
  const route = `/${String(app.get(WHATSAPP_CLICKS_WEBHOOK_PATH, { strict: false })).replace(/^\/+|\/+$/g, '')}`;
  const isWebhook = (url: string | undefined) => {
    const path = (url ?? '').split('?', 1)[0].replace(/\/+$/, '');
    return path === route || path.endsWith(route);
  };
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'express') {
    const parse = (contentType: RegExp) => (req: IncomingMessage) =>
      !isWebhook(req.url) && contentType.test(req.headers['content-type'] ?? '');
    const host = app as unknown as ExpressBodyParserHost;
    host.useBodyParser('json', {
      limit: options.limit ?? EXPRESS_DEFAULT_LIMIT,
      type: parse(/^application\/([\w.-]+\+)?json\b/i),
    });
    host.useBodyParser('urlencoded', {
      limit: options.limit ?? EXPRESS_DEFAULT_LIMIT,
      extended: true,
      type: parse(/^application\/x-www-form-urlencoded\b/i),
    });
    return;
  }
  if (adapter.getType() === 'fastify') {
    const hostLimit =
      options.limit === undefined ? FASTIFY_DEFAULT_LIMIT : parseByteSize(options.limit);
    const webhookLimit = app.get<WhatsAppClicksConfig>(WHATSAPP_CLICKS_CONFIG, {
      strict: false,
    }).bodyLimitBytes;
    const fastify = adapter.getInstance() as FastifyLike;
    const tooLarge = () =>
      Object.assign(new Error(`request bodies are limited to ${hostLimit} bytes`), {
        statusCode: 413,
      });
    fastify.removeContentTypeParser(['application/json', 'text/plain']);
    // Fastify stops reading at bodyLimit (413): the larger of the two limits; each route's own
    // limit is then checked here (others) and by the module (webhook).
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: Math.max(hostLimit, webhookLimit) },
      (req, body, done) => {
        req.rawBody = body;
        if (isWebhook(req.url)) return done(null, body);
        if (body.length > hostLimit) return done(tooLarge());
        if (body.length === 0) return done(null, undefined);
        try {
          done(null, JSON.parse(body.toString('utf8')));
        } catch (error) {
          done(Object.assign(error as Error, { statusCode: 400 }));
        }
      },
    );
    fastify.addContentTypeParser(
      'text/plain',
      { parseAs: 'buffer', bodyLimit: Math.max(hostLimit, webhookLimit) },
      (req, body, done) => {
        if (isWebhook(req.url)) req.rawBody = body;
        else if (body.length > hostLimit) return done(tooLarge());
        done(null, isWebhook(req.url) ? body : body.toString('utf8'));
      },
    );
    // Meta always sends JSON; whatever else reaches the webhook is still kept and checked.
    fastify.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: webhookLimit },
      (req, body, done) => {
        if (!isWebhook(req.url)) {
          return done(Object.assign(new Error('unsupported media type'), { statusCode: 415 }));
        }
        req.rawBody = body;
        done(null, body);
      },
    );
    return;
  }
  throw new Error(
    `useWhatsAppClicksBodyParser supports Express and Fastify, not ${adapter.getType()}`,
  );
}
