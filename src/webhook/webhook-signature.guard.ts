import {
  CanActivate,
  ExecutionContext,
  Injectable,
  InternalServerErrorException,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { IngestCounters } from '../ingest/ingest-counters.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { type RawBodyRequest, tooLarge } from './webhook-raw-body.middleware.js';
import { isValidSignature, SIGNATURE_HEADER } from './webhook-signature.js';

const WARN_EVERY_MS = 60_000;

/**
 * Lets a POST through only if `X-Hub-Signature-256` signs its exact bytes with the app secret,
 * and the bytes are within the module's limit. A body parsed without its bytes cannot be
 * verified: that is the host's set-up (WebhookSetupCheck catches most at start), answered 500
 * with the fix in the log.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger('WhatsAppClicks');

  /** Signature failures not yet logged (one warning per minute at most, with the count). */
  private unsigned = 0;
  private warnedAt = 0;

  constructor(
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    private readonly counters: IngestCounters,
  ) {}

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
    if (raw.length > this.config.bodyLimitBytes) {
      this.counters.answered(413);
      throw tooLarge(this.config.bodyLimitBytes);
    }
    const header = req.headers[SIGNATURE_HEADER];
    if (header === undefined) {
      this.refused();
      throw new UnauthorizedException(`missing ${SIGNATURE_HEADER} header`);
    }
    if (!isValidSignature(raw, header, this.config.appSecrets)) {
      this.refused();
      throw new UnauthorizedException(`${SIGNATURE_HEADER} does not match the body`);
    }
    return true;
  }

  /**
   * A wrong app secret fails every delivery with 401, and Meta retries for days: say so, at most
   * once a minute, with how many were refused (never the signature or the body).
   */
  private refused(): void {
    this.counters.answered(401);
    this.unsigned++;
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.logger.warn(
      `refused ${this.unsigned} webhook POST(s) with a missing or wrong ${SIGNATURE_HEADER} since the last warning: ` +
        'if they come from Meta, the app secret is not the one of the Meta app that sends them',
    );
    this.unsigned = 0;
    this.warnedAt = now;
  }
}
