import type { ThrottlerStorage } from '@nestjs/throttler';
import { requirePackages } from '../optional/require-packages.js';

const MINUTE_MS = 60_000;

/** A caller's verdict: go on, or wait this many seconds. */
export type LimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Beacons per IP address and minute, counted by `@nestjs/throttler`'s in-memory storage (per
 * process: behind several instances each counts its own). Loaded only when conversions are on.
 */
export class BeaconLimit {
  private constructor(
    private readonly storage: ThrottlerStorage & { onApplicationShutdown?(): void },
    private readonly perMinute: number,
  ) {}

  static async create(perMinute: number): Promise<BeaconLimit> {
    await requirePackages('conversionsPath', ['@nestjs/throttler']);
    const { ThrottlerStorageService } = await import('@nestjs/throttler');
    return new BeaconLimit(new ThrottlerStorageService(), perMinute);
  }

  async hit(ip: string): Promise<LimitVerdict> {
    const record = await this.storage.increment(
      ip,
      MINUTE_MS,
      this.perMinute,
      0, // no block beyond the window: a sliding minute
      'whatsapp-clicks-conversions',
    );
    return record.isBlocked
      ? { allowed: false, retryAfterSeconds: Math.max(1, record.timeToBlockExpire) }
      : { allowed: true };
  }

  onApplicationShutdown(): void {
    this.storage.onApplicationShutdown?.();
  }
}
