import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  And,
  type DataSource,
  LessThan,
  MoreThan,
  MoreThanOrEqual,
  type Repository,
} from 'typeorm';
import { ClickEventPublisher } from '../events/click-event.publisher.js';
import { parseClickPayload, type ParsedClickPayload } from '../payload/click-payload.parser.js';
import { ClickEventRepository } from '../storage/click-event.repository.js';
import { RejectedDelivery } from '../storage/rejected-delivery.entity.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { countStored } from './stored-keys.js';

/** What a replay did (or, with `dryRun`, would do). */
export interface ReplayResult {
  /** Rejected deliveries read. */
  examined: number;
  /** Of them, those now read whole or in part: their row is gone, their actions stored. */
  replayed: number;
  /** New clicks stored (emitted and forwarded as any new click); with `dryRun`, those it would. */
  stored: number;
  /** Valid actions that were already stored. */
  duplicates: number;
  /** Rejections still rejected (their rows stay, with today's reason). */
  stillRejected: number;
  dryRun: boolean;
}

const ROWS_PER_BATCH = 100;

/**
 * Runs stored rejected deliveries through today's parser, after a fix: what is now valid is
 * stored (deduplicated, so replaying twice is replaying once), handed to the handlers and the
 * broker, and its rejected row deleted; what is still invalid stays, with today's reason.
 */
@Injectable()
export class RejectedDeliveryReplay {
  private readonly logger = new Logger('WhatsAppClicks');
  private readonly rejected: Repository<RejectedDelivery>;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ClickEventRepository) private readonly clicks: ClickEventRepository,
    private readonly publisher: ClickEventPublisher,
  ) {
    this.rejected = dataSource.getRepository(RejectedDelivery);
  }

  /** Rejected deliveries received in `[since, until)` (each end open without it), oldest first. */
  async replay(
    options: { since?: Date; until?: Date; dryRun?: boolean } = {},
  ): Promise<ReplayResult> {
    const dryRun = options.dryRun ?? false;
    const result: ReplayResult = {
      examined: 0,
      replayed: 0,
      stored: 0,
      duplicates: 0,
      stillRejected: 0,
      dryRun,
    };
    let after = '0';
    for (;;) {
      const rows = await this.rejected.find({
        where: {
          id: MoreThan(after),
          ...receivedIn(options.since, options.until),
        },
        order: { id: 'ASC' },
        take: ROWS_PER_BATCH,
      });
      if (rows.length === 0) break;
      for (const row of rows) await this.replayOne(row, dryRun, result);
      after = rows[rows.length - 1]!.id;
    }
    this.logger.log(
      `replay${dryRun ? ' (dry run)' : ''} of ${result.examined} rejected deliveries: ${result.replayed} now readable, ${result.stored} click(s) ${dryRun ? 'valid' : 'stored'}, ${result.duplicates} already stored, ${result.stillRejected} still rejected`,
    );
    return result;
  }

  private async replayOne(row: RejectedDelivery, dryRun: boolean, result: ReplayResult) {
    result.examined++;
    const parsed = reparse(row);
    const readable =
      'actions' in parsed && parsed.actions.length + parsed.trackingEvents.length > 0;
    if (!readable) {
      result.stillRejected++;
      const reason = 'reason' in parsed ? parsed.reason : parsed.rejections[0]?.reason;
      if (!dryRun && reason && reason !== row.reason) {
        await this.rejected.update({ id: row.id }, { reason });
      }
      return;
    }
    result.replayed++;
    result.stillRejected += parsed.rejections.length;
    if (dryRun) {
      const already = await countStored(this.dataSource, parsed.actions);
      result.duplicates += already;
      result.stored += parsed.actions.length - already;
      return;
    }
    const stored = await this.clicks.storeDelivery(
      parsed.actions,
      parsed.rejections.map((rejection) => ({ kind: 'action' as const, ...rejection })),
      row.receivedAt,
      { tracking: parsed.trackingEvents },
    );
    // Deleted after the clicks are stored: a crash in between leaves the row, and its next
    // replay finds the clicks stored (duplicates), so nothing is lost or counted twice.
    await this.rejected.delete({ id: row.id });
    result.stored += stored.length;
    result.duplicates += parsed.actions.length - stored.length;
    this.publisher.publish(stored);
  }
}

function receivedIn(since?: Date, until?: Date) {
  if (since && until) return { receivedAt: And(MoreThanOrEqual(since), LessThan(until)) };
  if (since) return { receivedAt: MoreThanOrEqual(since) };
  if (until) return { receivedAt: LessThan(until) };
  return {};
}

/** A rejected delivery read again: as a delivery, or why it still cannot be. */
function reparse(row: RejectedDelivery): ParsedClickPayload | { reason: string } {
  const text =
    row.payloadEncoding === 'base64'
      ? Buffer.from(row.payload, 'base64').toString('utf8')
      : row.payload;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { reason: `body is not JSON: ${(error as Error).message}` };
  }
  if (row.kind === 'body') {
    const parsed = parseClickPayload(json);
    return parsed.refused === null ? parsed : { reason: parsed.refused };
  }
  // An action (or a change) kept with its context: put back in an envelope of its own.
  const { entry_id, metadata, action, user_actions, tracking_event } = json as Record<
    string,
    unknown
  >;
  const value =
    tracking_event !== undefined
      ? { metadata, tracking_events: [tracking_event] }
      : { metadata, user_actions: action !== undefined ? [action] : user_actions };
  return parseClickPayload({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: entry_id,
        changes: [
          {
            field: 'messages',
            value,
          },
        ],
      },
    ],
  });
}
