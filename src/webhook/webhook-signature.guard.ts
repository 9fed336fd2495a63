import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { WHATSAPP_CLICKS_CONFIG } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import type { RawBodyRequest } from './webhook-raw-body.middleware.js';
import { isValidSignature, SIGNATURE_HEADER } from './webhook-signature.js';

/** Lets a POST through only if `X-Hub-Signature-256` signs its exact bytes with the app secret. */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(@Inject(WHATSAPP_CLICKS_CONFIG) private readonly config: WhatsAppClicksConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<RawBodyRequest>();
    const header = req.headers[SIGNATURE_HEADER];
    if (header === undefined) {
      throw new UnauthorizedException(`missing ${SIGNATURE_HEADER} header`);
    }
    if (!req.rawBody || !isValidSignature(req.rawBody, header, this.config.appSecret)) {
      throw new UnauthorizedException(`${SIGNATURE_HEADER} does not match the body`);
    }
    return true;
  }
}
