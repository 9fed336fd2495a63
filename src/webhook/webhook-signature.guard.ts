import {
  CanActivate,
  ExecutionContext,
  Injectable,
  InternalServerErrorException,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { type RawBodyRequest, tooLarge } from './webhook-raw-body.middleware.js';
import { isValidSignature, SIGNATURE_HEADER } from './webhook-signature.js';

/**
 * Lets a POST through only if `X-Hub-Signature-256` signs its exact bytes with the app secret,
 * and the bytes are within the module's limit. A body parsed without its bytes cannot be
 * verified: that is the host's setup, answered 500 with a message that says how to fix it.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(@InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RawBodyRequest>();
    const raw = req.rawBody;
    if (!Buffer.isBuffer(raw)) {
      const message =
        'the webhook body was parsed without its raw bytes, so its signature cannot be checked: ' +
        'create the app with { rawBody: true } or call useWhatsAppClicksBodyParser(app)';
      this.logger.error(message);
      throw new InternalServerErrorException(message);
    }
    if (raw.length > this.config.bodyLimitBytes) throw tooLarge(this.config.bodyLimitBytes);
    const header = req.headers[SIGNATURE_HEADER];
    if (header === undefined) {
      throw new UnauthorizedException(`missing ${SIGNATURE_HEADER} header`);
    }
    if (!isValidSignature(raw, header, this.config.appSecret)) {
      throw new UnauthorizedException(`${SIGNATURE_HEADER} does not match the body`);
    }
    return true;
  }
}
