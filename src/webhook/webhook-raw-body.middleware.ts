import {
  BadRequestException,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  NestMiddleware,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { WHATSAPP_CLICKS_CONFIG } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';

/** A request whose exact bytes are known: the signature is computed on these, never on JSON. */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
  body?: unknown;
}

/**
 * Makes `req.rawBody` the exact webhook bytes, within the module's size limit.
 *
 * Either the host's body parser kept them (`NestFactory.create(..., { rawBody: true })`), or the
 * stream is still unread (the parser skipped this route, see `useWhatsAppClicksBodyParser`) and
 * this reads it. A body parsed without its bytes cannot be verified: that is the host's setup,
 * answered 500 with a message that says how to fix it.
 */
@Injectable()
export class WebhookRawBodyMiddleware implements NestMiddleware {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(@Inject(WHATSAPP_CLICKS_CONFIG) private readonly config: WhatsAppClicksConfig) {}

  async use(req: RawBodyRequest, _res: unknown, next: (error?: unknown) => void): Promise<void> {
    const limit = this.config.bodyLimitBytes;
    if (Buffer.isBuffer(req.rawBody)) {
      next(req.rawBody.length > limit ? tooLarge(limit) : undefined);
      return;
    }
    if (req.readableEnded || req.body !== undefined) {
      const message =
        'the webhook body was parsed without its raw bytes, so its signature cannot be checked: ' +
        'create the app with { rawBody: true } or call useWhatsAppClicksBodyParser(app)';
      this.logger.error(message);
      next(new InternalServerErrorException(message));
      return;
    }
    try {
      req.rawBody = await getRawBody(req, { limit, length: req.headers['content-length'] });
      next();
    } catch (error) {
      const type = (error as { type?: string }).type;
      next(
        type === 'entity.too.large'
          ? tooLarge(limit)
          : new BadRequestException(
              `the webhook body could not be read: ${(error as Error).message}`,
            ),
      );
    }
  }
}

function tooLarge(limit: number): PayloadTooLargeException {
  return new PayloadTooLargeException(`webhook bodies are limited to ${limit} bytes`);
}
