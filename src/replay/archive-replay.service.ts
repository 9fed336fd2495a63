import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ClickEventPublisher } from '../events/click-event.publisher.js';
import { parseClickPayload } from '../payload/click-payload.parser.js';
import { ClickEventRepository } from '../storage/click-event.repository.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { countStored } from './stored-keys.js';

/** What a replay of the archive did (or, with `dryRun`, would do). */
export interface ArchiveReplayResult {
  /** Archived deliveries read. */
  examined: number;
  /** New clicks stored (emitted and forwarded as any new click); with `dryRun`, those it would. */
  stored: number;
  /** Valid actions already stored. */
  duplicates: number;
  /** Actions today's parser rejects (not kept again: the first reading kept its rejections). */
  rejected: number;
  /** Deliveries today's parser refuses whole. */
  refused: number;
  /** Tracking events read (stored unless already stored). */
  trackingEvents: number;
  dryRun: boolean;
}

const ROWS_PER_BATCH = 100;

interface ArchivedRow {
  id: string | number;
  received_at: string | number;
  body: Buffer;
}

/**
 * Reads archived deliveries (the `archive` option) again with today's parser, after an upgrade
 * that reads them differently (a new action type, a field it used to reject): what is now a
 * click and not yet stored is stored with its original `receivedAt`, handed to the handlers and
 * the broker. Stored clicks are skipped by their dedupe key, so a replay twice is a replay once.
 */
@Injectable()
export class ArchivedDeliveryReplay {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly postgres: boolean;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ClickEventRepository) private readonly clicks: ClickEventRepository,
    private readonly publisher: ClickEventPublisher,
  ) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /** Deliveries received in `[since, until)` (each end open without it), oldest first. */
  async replay(
    options: { since?: Date; until?: Date; dryRun?: boolean } = {},
  ): Promise<ArchiveReplayResult> {
    const dryRun = options.dryRun ?? false;
    const result: ArchiveReplayResult = {
      examined: 0,
      stored: 0,
      duplicates: 0,
      rejected: 0,
      refused: 0,
      trackingEvents: 0,
      dryRun,
    };
    let after: string | number = 0;
    for (;;) {
      const rows = await this.read(after, options.since, options.until);
      if (rows.length === 0) break;
      for (const row of rows) await this.replayOne(row, dryRun, result);
      after = rows[rows.length - 1]!.id;
    }
    this.logger.log(
      `replay${dryRun ? ' (dry run)' : ''} of ${result.examined} archived deliveries: ${result.stored} new click(s)${dryRun ? ' to store' : ' stored'}, ${result.duplicates} already stored, ${result.rejected} action(s) rejected, ${result.refused} refused whole`,
    );
    return result;
  }

  private async read(after: string | number, since?: Date, until?: Date): Promise<ArchivedRow[]> {
    const p = (n: number) => (this.postgres ? `$${n}` : '?');
    const values: (string | number)[] = [after];
    let where = `"id" > ${p(1)}`;
    if (since) {
      values.push(since.getTime());
      where += ` AND "received_at" >= ${p(values.length)}`;
    }
    if (until) {
      values.push(until.getTime());
      where += ` AND "received_at" < ${p(values.length)}`;
    }
    return this.dataSource.query<ArchivedRow[]>(
      `SELECT "id", "received_at", "body" FROM "delivery_archive" WHERE ${where} ORDER BY "id" LIMIT ${ROWS_PER_BATCH}`,
      values,
    );
  }

  private async replayOne(row: ArchivedRow, dryRun: boolean, result: ArchiveReplayResult) {
    result.examined++;
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(row.body).toString('utf8'));
    } catch {
      result.refused++;
      return;
    }
    const parsed = parseClickPayload(json);
    if (parsed.refused !== null) {
      result.refused++;
      return;
    }
    result.rejected += parsed.rejections.length;
    result.trackingEvents += parsed.trackingEvents.length;
    if (parsed.actions.length === 0 && parsed.trackingEvents.length === 0) return;
    if (dryRun) {
      const already = await countStored(this.dataSource, parsed.actions);
      result.duplicates += already;
      result.stored += parsed.actions.length - already;
      return;
    }
    const stored = await this.clicks.storeDelivery(
      parsed.actions,
      [],
      new Date(Number(row.received_at)),
      { tracking: parsed.trackingEvents },
    );
    result.stored += stored.length;
    result.duplicates += parsed.actions.length - stored.length;
    this.publisher.publish(stored);
  }
}
