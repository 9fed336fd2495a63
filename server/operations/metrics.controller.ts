import { Controller, Get, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { sameSecret } from '../../src/http/same-secret.js';

/** The server's prom-client registry: the module's metrics and Node's process metrics. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** METRICS_TOKEN, or null: /metrics is open. */
export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

/** `GET /metrics` in Prometheus's text format; with METRICS_TOKEN, behind that bearer token. */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(METRICS_TOKEN) private readonly token: string | null,
  ) {}

  @Get()
  async metrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ): Promise<string> {
    if (this.token !== null && !sameSecret(authorization?.trim(), `Bearer ${this.token}`)) {
      throw new UnauthorizedException('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
    }
    reply.header('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}
