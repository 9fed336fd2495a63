import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  Type,
  UseGuards,
} from '@nestjs/common';
import { ClickIngestService, type IngestOutcome } from '../ingest/click-ingest.service.js';
import { IngestCounters } from '../ingest/ingest-counters.js';
import { type ClickMetrics, WHATSAPP_CLICKS_METRICS } from '../metrics/click-metrics.js';
import { ClickStorageError } from '../storage/click-event.repository.js';
import { type HeaderSetter, setHeader } from '../http/reply-headers.js';
import { sameSecret } from '../http/same-secret.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import type { RawBodyRequest } from './webhook-raw-body.middleware.js';
import { SIGNATURE_HEADER } from './webhook-signature.js';
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
      private readonly counters: IngestCounters,
      @Inject(WHATSAPP_CLICKS_METRICS) private readonly metrics: ClickMetrics | null,
    ) {}

    /** Meta's verification handshake: the challenge back, verbatim, when the token matches. */
    @Get()
    handshake(
      @Req() req: { url?: string },
      // Set on success only: a refusal is JSON (a text/plain header on it made Fastify warn).
      @Res({ passthrough: true }) res: HeaderSetter,
    ): string {
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
      setHeader(res, 'Content-Type', 'text/plain; charset=utf-8');
      setHeader(res, 'Cache-Control', 'no-store');
      return challenge;
    }

    @Post()
    @HttpCode(200)
    @UseGuards(WebhookSignatureGuard)
    async receive(@Req() req: RawBodyRequest): Promise<WebhookAnswer> {
      const started = this.metrics ? performance.now() : 0;
      let status = 500;
      try {
        // The guard checked the signature: a string here.
        const signature = req.headers[SIGNATURE_HEADER] as string;
        const outcome = await this.ingest.ingest(req.rawBody!, new Date(), signature);
        status = outcome.kind === 'refused' ? 400 : 200;
        if (outcome.kind === 'refused') throw new BadRequestException(outcome.reason);
        const { kind: _kind, ...answer } = outcome;
        return answer;
      } catch (error) {
        if (!(error instanceof ClickStorageError)) throw error;
        status = 503;
        this.logger.error(`answered 503 so that Meta retries: ${error.message}`);
        throw new ServiceUnavailableException('click storage is unavailable; retry later');
      } finally {
        this.counters.answered(status);
        this.metrics?.observeIngest((performance.now() - started) / 1000);
      }
    }
  }
  return WhatsAppWebhookController;
}
