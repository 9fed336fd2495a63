import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ClickOutbox } from '../outbox/click-outbox.service.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';

/** `up`; `degraded` (serving, but something it hands on to is failing); `down`. */
export type ClickHealthStatus = 'up' | 'degraded' | 'down';

/**
 * One entry of a health check, in `@nestjs/terminus`'s shape (`HealthIndicatorResult`): pass
 * the methods below to `HealthCheckService.check([...])` as they are.
 */
export type ClickHealthResult = Record<
  string,
  { status: ClickHealthStatus; [detail: string]: unknown }
>;

/** How long the database may take to answer a health check. */
const DATABASE_TIMEOUT_MS = 2000;

/**
 * The module's health, for the host's health checks (works with `@nestjs/terminus` without
 * needing it): the database the clicks are stored in (down: webhooks answer 503), and the
 * forwarding (degraded while the broker fails: clicks wait in the outbox, webhooks still 200).
 *
 * ```ts
 * this.health.check([() => this.clicks.database(), () => this.clicks.forward()])
 * ```
 */
@Injectable()
export class WhatsAppClicksHealthIndicator {
  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly outbox: ClickOutbox,
  ) {}

  /** `up` when the database answers within 2 s, `down` otherwise. */
  async database(key = 'database'): Promise<ClickHealthResult> {
    const type = this.dataSource.driver.options.type;
    try {
      await withinMs(this.dataSource.query('SELECT 1'), DATABASE_TIMEOUT_MS);
      return { [key]: { status: 'up', type } };
    } catch (error) {
      return { [key]: { status: 'down', type, message: messageOf(error) } };
    }
  }

  /**
   * With forwarding on: `up` with the clicks still to forward, or `degraded` while the broker
   * fails (with its last error). Without forwarding: no entry.
   */
  async forward(key = 'forward'): Promise<ClickHealthResult> {
    const state = this.outbox.states().find((s) => s.target === 'forward');
    if (!state) return {};
    let pending: number | null = null;
    try {
      pending = (await withinMs(this.outbox.pending(), DATABASE_TIMEOUT_MS)).forward;
    } catch {
      // The database entry says why.
    }
    if (state.failures > 0) {
      return {
        [key]: { status: 'degraded', pending, failures: state.failures, message: state.lastError },
      };
    }
    return { [key]: { status: 'up', pending } };
  }
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
