import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  HttpException,
  Inject,
  Logger,
  Options,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  type Type,
  UnauthorizedException,
} from '@nestjs/common';
import { type HeaderSetter, setHeader } from '../http/reply-headers.js';
import { sameSecret } from '../http/same-secret.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { BeaconLimit } from './beacon-limit.js';
import { clicksSnippet } from './clicks-snippet.js';
import { readConversions } from './conversion-input.js';
import { type ConversionSource, ConversionStore } from './conversion.store.js';

/** What a conversions request answers: how many were new, and why the others were refused. */
export interface ConversionsAnswer {
  stored: number;
  duplicates: number;
  rejected: { index: number; reason: string }[];
}

interface ConversionsRequest {
  headers: Record<string, string | string[] | undefined>;
  ip?: string;
}

/**
 * The conversions endpoint at `path` (the `conversionsPath` extra; off without it), and
 * `/clicks.js` for landing pages. A server reports with `Authorization: Bearer <key>` (one of
 * `conversions.apiKeys`); a browser from one of `conversions.allowedOrigins`, with no secret (the
 * click id is the capability), `conversions.perMinute` requests per IP address and minute.
 */
export function createConversionsControllers(path: string): Type<unknown>[] {
  @Controller(path)
  class WhatsAppConversionsController {
    private readonly logger = new Logger('WhatsAppClicks');

    constructor(
      @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
      @Inject(ConversionStore) private readonly store: ConversionStore,
      @Inject(BeaconLimit) private readonly limit: BeaconLimit,
    ) {}

    /** A browser's CORS preflight (a JSON POST from another origin). */
    @Options()
    @HttpCode(204)
    preflight(@Req() req: ConversionsRequest, @Res({ passthrough: true }) res: HeaderSetter) {
      this.allowOrigin(req, res);
      setHeader(res, 'Access-Control-Allow-Methods', 'POST');
      setHeader(res, 'Access-Control-Allow-Headers', 'content-type');
      setHeader(res, 'Access-Control-Max-Age', '600');
    }

    @Post()
    @HttpCode(200)
    async report(
      @Req() req: ConversionsRequest,
      @Res({ passthrough: true }) res: HeaderSetter,
      @Body() body: unknown,
    ): Promise<ConversionsAnswer> {
      const source = await this.admit(req, res);
      const read = readConversions(body);
      if (read.refused !== null) throw new BadRequestException(read.refused);
      if (read.conversions.length === 0) {
        throw new BadRequestException({
          statusCode: 400,
          message: 'no valid conversion',
          rejected: read.rejected,
        });
      }
      let stored: number;
      try {
        stored = await this.store.store(read.conversions, source);
      } catch (error) {
        this.logger.error(`could not store conversions: ${(error as Error).message}`);
        throw new ServiceUnavailableException('conversions cannot be stored now; retry later');
      }
      return { stored, duplicates: read.conversions.length - stored, rejected: read.rejected };
    }

    /** A server (by its key) or a browser (by its origin and the rate limit). */
    private async admit(req: ConversionsRequest, res: HeaderSetter): Promise<ConversionSource> {
      const authorization = header(req, 'authorization');
      if (authorization !== undefined) {
        const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
        if (key && this.config.conversions.apiKeys.some((known) => sameSecret(key, known))) {
          return 'server';
        }
        throw new UnauthorizedException('unknown conversions key');
      }
      this.allowOrigin(req, res);
      const verdict = await this.limit.hit(req.ip ?? 'unknown');
      if (!verdict.allowed) {
        setHeader(res, 'Retry-After', String(verdict.retryAfterSeconds));
        throw new HttpException('too many conversions from this address; retry later', 429);
      }
      return 'beacon';
    }

    private allowOrigin(req: ConversionsRequest, res: HeaderSetter): void {
      const origin = header(req, 'origin');
      if (origin === undefined) {
        throw new UnauthorizedException(
          'a server reports with Authorization: Bearer <key>; a browser from an allowed origin',
        );
      }
      const allowed = this.config.conversions.allowedOrigins;
      if (!allowed.includes('*') && !allowed.includes(origin)) {
        throw new ForbiddenException('this origin may not report conversions');
      }
      setHeader(res, 'Access-Control-Allow-Origin', origin);
      setHeader(res, 'Vary', 'Origin');
    }
  }

  const script = clicksSnippet(path);
  @Controller()
  class WhatsAppClicksScriptController {
    @Get('clicks.js')
    @Header('Content-Type', 'application/javascript; charset=utf-8')
    @Header('Cache-Control', 'public, max-age=3600')
    snippet(): string {
      return script;
    }
  }

  return [WhatsAppConversionsController, WhatsAppClicksScriptController];
}

function header(req: ConversionsRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
