import {
  BadRequestException,
  Injectable,
  NestMiddleware,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';

/** A request whose exact bytes are known: the signature is computed on these, never on JSON. */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
  body?: unknown;
}

export function tooLarge(limit: number): PayloadTooLargeException {
  return new PayloadTooLargeException(`webhook bodies are limited to ${limit} bytes`);
}

/**
 * Express only (the module applies it there): reads the webhook body when no parser did (the
 * host has none, or `useWhatsAppClicksBodyParser` made it skip this route), stopping at the
 * module's limit. When a parser kept the bytes (`rawBody: true`) there is nothing to do.
 */
@Injectable()
export class WebhookRawBodyMiddleware implements NestMiddleware {
  constructor(@InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig) {}

  async use(req: RawBodyRequest, _res: unknown, next: (error?: unknown) => void): Promise<void> {
    if (Buffer.isBuffer(req.rawBody) || req.readableEnded || req.body !== undefined) {
      next();
      return;
    }
    const limit = this.config.bodyLimitBytes;
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
