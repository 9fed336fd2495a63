import {
  type INestApplication,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { parseByteSize } from '../config/resolve-config.js';
import {
  WHATSAPP_CLICKS_CONFIG,
  WHATSAPP_CLICKS_WEBHOOK_PATH,
} from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';

/** Options of the host's own body parsing, for every route but the webhook. */
export interface WhatsAppClicksBodyParserOptions {
  /**
   * The host's limit for every other route, in bytes or as a string such as `'100kb'`.
   * Default: the adapter's own (Express `'100kb'`, Fastify its `bodyLimit`, 1 MiB by default).
   */
  limit?: number | string;
}

interface ExpressBodyParserHost {
  useBodyParser(parser: 'json' | 'urlencoded', options?: Record<string, unknown>): unknown;
}

type ParserDone = (error: Error | null, body?: unknown) => void;
type FastifyParser = (req: FastifyRequestLike, body: string, done: ParserDone) => void;
interface FastifyRequestLike {
  url: string;
  rawBody?: Buffer;
}
interface FastifyLike {
  initialConfig: { bodyLimit?: number; onProtoPoisoning?: string; onConstructorPoisoning?: string };
  getDefaultJsonParser(onProtoPoisoning: string, onConstructorPoisoning: string): FastifyParser;
  removeContentTypeParser(types: string[]): void;
  addContentTypeParser(
    type: string | RegExp,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (req: FastifyRequestLike, body: Buffer, done: ParserDone) => void,
  ): void;
}

const EXPRESS_DEFAULT_LIMIT = 100 * 1024;
const FASTIFY_DEFAULT_LIMIT = 1024 * 1024;

/** The HTTP adapters whose app called useWhatsAppClicksBodyParser (see WebhookSetupCheck). */
const installedOn = new WeakSet<object>();

export function hasWhatsAppClicksBodyParser(adapter: object): boolean {
  return installedOn.has(adapter);
}

/**
 * Whether a request URL is the webhook's route exactly, global prefix included. Nest keeps the
 * prefix in the application's config; it is read at the first request, since
 * `setGlobalPrefix()` may come after this set-up.
 */
function webhookRoute(
  app: INestApplication,
  caseSensitive: boolean,
): (url: string | undefined) => boolean {
  const path = String(app.get(WHATSAPP_CLICKS_WEBHOOK_PATH, { strict: false }));
  let route: string | undefined;
  const fold = (value: string) => (caseSensitive ? value : value.toLowerCase());
  return (url) => {
    if (route === undefined) {
      const config = (app as unknown as { config?: { getGlobalPrefix?(): string } }).config;
      const joined = `/${config?.getGlobalPrefix?.() ?? ''}/${path}`;
      route = fold(joined.replace(/\/{2,}/g, '/').replace(/\/+$/, ''));
    }
    const requested = (url ?? '').split('?', 1)[0]!.replace(/\/+$/, '');
    return fold(requested) === route;
  };
}

/**
 * Sets up the host's body parsing so that the webhook route gets its exact bytes, read with the
 * module's own limit, while every other route is parsed as before, by the adapter's own parsers.
 * Only so is a signed body that is not JSON answered 400 and kept, and an unsigned one 401
 * whatever it holds.
 *
 * Create the app with `{ bodyParser: false }` and call this before `app.init()`/`listen()`.
 * Without it, `NestFactory.create(AppModule, { rawBody: true })` (with a JSON limit of at least
 * 3 MB) also works; then the host's parser answers malformed JSON itself (400, nothing kept).
 */
export function useWhatsAppClicksBodyParser(
  app: INestApplication,
  options: WhatsAppClicksBodyParserOptions = {},
): void {
  const adapter = app.getHttpAdapter();
  if (adapter.getType() === 'express') {
    const isWebhook = webhookRoute(app, false);
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
  } else if (adapter.getType() === 'fastify') {
    useOnFastify(app, adapter.getInstance() as FastifyLike, options);
  } else {
    throw new Error(
      `useWhatsAppClicksBodyParser supports Express and Fastify, not ${adapter.getType()}`,
    );
  }
  installedOn.add(adapter);
}

function useOnFastify(
  app: INestApplication,
  fastify: FastifyLike,
  options: WhatsAppClicksBodyParserOptions,
): void {
  const isWebhook = webhookRoute(app, true);
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const hostLimit =
    options.limit === undefined
      ? (bodyLimit ?? FASTIFY_DEFAULT_LIMIT)
      : parseByteSize(options.limit, 'limit');
  const webhookLimit = app.get<WhatsAppClicksConfig>(WHATSAPP_CLICKS_CONFIG, {
    strict: false,
  }).bodyLimitBytes;
  // Fastify's own JSON parser, as the app configured it (prototype poisoning refused, 400 on an
  // empty body): every route but the webhook keeps it.
  const fastifyJson = fastify.getDefaultJsonParser(
    onProtoPoisoning ?? 'error',
    onConstructorPoisoning ?? 'error',
  );
  const tooLarge = () =>
    new PayloadTooLargeException(`request bodies are limited to ${hostLimit} bytes`);
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  // Fastify stops reading at bodyLimit (413): the larger of the two limits; each route's own
  // limit is then checked here (others) and by the module (webhook).
  const readLimit = Math.max(hostLimit, webhookLimit);
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: readLimit },
    (req, body, done) => {
      req.rawBody = body;
      if (isWebhook(req.url)) return done(null, body);
      if (body.length > hostLimit) return done(tooLarge());
      fastifyJson(req, body.toString('utf8'), done);
    },
  );
  fastify.addContentTypeParser(
    'text/plain',
    { parseAs: 'buffer', bodyLimit: readLimit },
    (req, body, done) => {
      if (isWebhook(req.url)) {
        req.rawBody = body;
        return done(null, body);
      }
      if (body.length > hostLimit) return done(tooLarge());
      done(null, body.toString('utf8'));
    },
  );
  // Meta always sends JSON; whatever else reaches the webhook is still kept and checked.
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: webhookLimit },
    (req, body, done) => {
      if (!isWebhook(req.url)) {
        return done(new UnsupportedMediaTypeException());
      }
      req.rawBody = body;
      done(null, body);
    },
  );
}
