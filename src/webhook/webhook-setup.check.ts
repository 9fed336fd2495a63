import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';
import { hasWhatsAppClicksBodyParser } from './webhook-body-parser.js';

interface ParserRegistrar {
  registerParserMiddleware?(prefix?: string, rawBody?: boolean): unknown;
}

const HOW_TO_FIX =
  'create the app with { bodyParser: false } and call useWhatsAppClicksBodyParser(app) before ' +
  'app.init() or app.listen(), or create it with { rawBody: true } (and a JSON limit of 3mb)';

/**
 * Fails the start, saying what to add, when the host's body parsing would hand the webhook a
 * parsed body without its bytes: the signature could not be checked and every webhook would
 * fail. Nest does not expose its `rawBody` option, so the check watches the one call where Nest
 * passes it to the adapter (`registerParserMiddleware`, made by `app.init()`).
 */
@Injectable()
export class WebhookSetupCheck implements OnApplicationBootstrap {
  private parsers: { rawBody: boolean } | null = null;

  constructor(private readonly adapterHost: HttpAdapterHost) {
    // The adapter is set before init(): at once with NestFactory.create, later in a testing module.
    adapterHost.init$.subscribe(() => {
      const adapter = adapterHost.httpAdapter as ParserRegistrar | undefined;
      const register = adapter?.registerParserMiddleware?.bind(adapter);
      if (!adapter || !register) return;
      adapter.registerParserMiddleware = (prefix?: string, rawBody?: boolean) => {
        this.parsers = { rawBody: rawBody === true };
        return register(prefix, rawBody);
      };
    });
  }

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter || hasWhatsAppClicksBodyParser(adapter)) return;
    const type = adapter.getType();
    if (type !== 'express' && type !== 'fastify') return;
    // Express without Nest's parsers is fine: the module's middleware reads the bytes itself.
    // Fastify without them still parses JSON, with its own parser.
    const withoutBytes =
      type === 'express' ? this.parsers !== null && !this.parsers.rawBody : !this.parsers?.rawBody;
    if (withoutBytes) {
      throw new WhatsAppClicksConfigError(
        `WhatsAppClicksModule: the webhook needs the exact request bytes to check X-Hub-Signature-256, but this ${type} app parses JSON without keeping them: ${HOW_TO_FIX}`,
      );
    }
  }
}
