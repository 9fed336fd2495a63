import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { WhatsAppClicksHealthIndicator } from '../../src/index.js';
import { REDIS_LINK, type RedisLink } from '../redis-pubsub.js';

/**
 * `GET /health`: 200 while the database answers, 503 when it does not (terminus's shape). Redis
 * and forwarding have entries of their own when configured, `degraded` while they fail, and
 * never make it 503: webhooks are still stored then.
 */
@Controller('health')
export class HealthController {
  private readonly checks: HealthIndicatorFunction[];

  constructor(
    private readonly health: HealthCheckService,
    clicks: WhatsAppClicksHealthIndicator,
    @Inject(REDIS_LINK) redis: RedisLink | null,
  ) {
    this.checks = [() => clicks.database(), () => clicks.forward()];
    if (redis) this.checks.push(() => redis.health());
  }

  @Get()
  @HealthCheck()
  check() {
    return this.health.check(this.checks);
  }
}
