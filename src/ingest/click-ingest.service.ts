import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClickEventPublisher } from '../events/click-event.publisher.js';
import { parseClickPayload } from '../payload/click-payload.parser.js';
import {
  ClickEventRepository,
  ClickStorageError,
  type SignedBody,
} from '../storage/click-event.repository.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { IngestCounters } from './ingest-counters.js';

/** What became of one signed delivery. */
export type IngestOutcome =
  | { kind: 'refused'; reason: string }
  | {
      kind: 'accepted';
      stored: number;
      duplicates: number;
      rejected: number;
      ignored: number;
    };

/**
 * The path of a signed delivery: parse, store what is new in one transaction, then (only after
 * commit) publish the new clicks. Storage failures propagate as `ClickStorageError` with nothing
 * written, so the caller can ask Meta to retry.
 */
@Injectable()
export class ClickIngestService {
  private readonly logger = new Logger('WhatsAppClicks');

  constructor(
    @Inject(ClickEventRepository) private readonly repository: ClickEventRepository,
    private readonly publisher: ClickEventPublisher,
    private readonly counters: IngestCounters,
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
  ) {}

  /**
   * @param signature the body's `X-Hub-Signature-256`, archived with it when the `archive`
   * option is on (the controller checked it)
   */
  async ingest(body: Buffer, receivedAt = new Date(), signature?: string): Promise<IngestOutcome> {
    const archived: SignedBody | undefined =
      this.config.archive && signature !== undefined ? { body, signature } : undefined;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      const reason = `body is not JSON: ${(error as Error).message}`;
      return this.refuse(body, reason, receivedAt, archived);
    }

    const { refused, actions, trackingEvents, rejections, ignored } = parseClickPayload(json);
    if (refused !== null) return this.refuse(body, refused, receivedAt, archived);
    const writing = this.repository.storeDelivery(
      actions,
      rejections.map((rejection) => ({ kind: 'action' as const, ...rejection })),
      receivedAt,
      { tracking: trackingEvents, archived },
    );
    const stored = await this.withinStorageTimeout(writing, (late) => this.publisher.publish(late));
    const outcome = {
      kind: 'accepted' as const,
      stored: stored.length,
      duplicates: actions.length - stored.length,
      rejected: rejections.length,
      ignored,
    };
    this.counters.add({
      deliveries: 1,
      stored: outcome.stored,
      duplicates: outcome.duplicates,
      rejectedActions: outcome.rejected,
      ignored,
    });
    this.counters.noteUnknown(stored);
    if (Logger.isLevelEnabled('debug')) {
      this.logger.debug(
        `delivery of ${body.length} bytes: stored ${outcome.stored}, duplicates ${outcome.duplicates}, rejected ${outcome.rejected}, ignored ${ignored}`,
      );
    }
    const [first] = rejections;
    if (first) {
      this.logger.warn(
        `kept ${rejections.length} rejected action(s) of a delivery; the first at ${first.path}: ${first.reason}`,
      );
    }
    this.publisher.publish(stored);
    return outcome;
  }

  /** A signed body that is not a delivery as a whole: kept as it came, answered 400. */
  private async refuse(
    body: Buffer,
    reason: string,
    receivedAt: Date,
    archived: SignedBody | undefined,
  ): Promise<IngestOutcome> {
    await this.withinStorageTimeout(
      this.repository.storeRejectedBody(body, reason, receivedAt, archived),
    );
    this.counters.add({ deliveries: 1, rejectedBodies: 1 });
    this.logger.warn(`rejected a signed webhook of ${body.length} bytes: ${reason}`);
    return { kind: 'refused', reason };
  }

  /**
   * The write, or ClickStorageError once `storageTimeout` has passed: a stalled database gets a
   * 503 in bounded time. The write is not undone; if it commits after all, `late` gets its result
   * (the new clicks are handed on then, and Meta's retry finds them stored).
   */
  private async withinStorageTimeout<T>(
    writing: Promise<T>,
    late?: (result: T) => void,
  ): Promise<T> {
    const limit = this.config.storageTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new ClickStorageError(`the database did not answer within ${limit} ms`));
      }, limit);
    });
    try {
      return await Promise.race([writing, deadline]);
    } finally {
      clearTimeout(timer);
      if (timedOut) {
        writing.then(
          (result) => {
            this.logger.warn(`a write answered 503 after ${limit} ms committed later`);
            late?.(result);
          },
          () => undefined,
        );
      }
    }
  }
}
