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
 * verified: that is the host's set-up (WebhookSetupCheck catches most at start), answered 500
 * with the fix in the log.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(@InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RawBodyRequest>();
    const raw = req.rawBody;
    if (!Buffer.isBuffer(raw)) {
      // The host's set-up, not the caller's fault: the how-to goes to the log, not to the caller.
      this.logger.error(
        'the webhook body was parsed without its raw bytes, so its signature cannot be checked: ' +
          'create the app with { rawBody: true } or call useWhatsAppClicksBodyParser(app)',
      );
      throw new InternalServerErrorException();
    }
    if (raw.length > this.config.bodyLimitBytes) throw tooLarge(this.config.bodyLimitBytes);
    const header = req.headers[SIGNATURE_HEADER];
    if (header === undefined) {
      throw new UnauthorizedException(`missing ${SIGNATURE_HEADER} header`);
    }
    if (!isValidSignature(raw, header, this.config.appSecrets)) {
      throw new UnauthorizedException(`${SIGNATURE_HEADER} does not match the body`);
    }
    return true;
  }
}
