import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  Logger,
  Post,
  Req,
  ServiceUnavailableException,
  Type,
  UseGuards,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ClickIngestService, IngestOutcome } from '../ingest/click-ingest.service.js';
import { ClickStorageError } from '../storage/click-event.repository.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import type { RawBodyRequest } from './webhook-raw-body.middleware.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

export type WebhookAnswer = Omit<Extract<IngestOutcome, { kind: 'accepted' }>, 'kind'>;

/**
 * The webhook controller at `path`. A class per module instance, because a route is fixed when
 * the class is decorated. It only speaks HTTP: the ingest service does the work.
 */
export function createWebhookController(path: string): Type<unknown> {
  @Controller(path)
  class WhatsAppWebhookController {
    private readonly logger = new Logger('WhatsAppClicks');

    constructor(
      @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
      private readonly ingest: ClickIngestService,
    ) {}

    /** Meta's verification handshake: the challenge back, verbatim, when the token matches. */
    @Get()
    @Header('Content-Type', 'text/plain; charset=utf-8')
    @Header('Cache-Control', 'no-store')
    handshake(@Req() req: { url?: string }): string {
      // Read from the URL itself: a query parser may nest or coerce `hub.*` keys.
      const query = new URL(req.url ?? '', 'http://localhost').searchParams;
      const challenge = query.get('hub.challenge');
      if (
        query.get('hub.mode') !== 'subscribe' ||
        challenge === null ||
        !sameSecret(query.get('hub.verify_token'), this.config.verifyToken)
      ) {
        throw new ForbiddenException('hub.mode or hub.verify_token is not right');
      }
      return challenge;
    }

    @Post()
    @HttpCode(200)
    @UseGuards(WebhookSignatureGuard)
    async receive(@Req() req: RawBodyRequest): Promise<WebhookAnswer> {
      let outcome: IngestOutcome;
      try {
        outcome = await this.ingest.ingest(req.rawBody!);
      } catch (error) {
        if (!(error instanceof ClickStorageError)) throw error;
        this.logger.error(`answered 503 so that Meta retries: ${error.message}`);
        throw new ServiceUnavailableException('click storage is unavailable; retry later');
      }
      if (outcome.kind === 'refused') throw new BadRequestException(outcome.reason);
      const { kind: _kind, ...answer } = outcome;
      return answer;
    }
  }
  return WhatsAppWebhookController;
}

/** Constant-time comparison of a given token with the configured one. */
function sameSecret(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
