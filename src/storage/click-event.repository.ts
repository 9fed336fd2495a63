import type { DataSource } from 'typeorm';
import type { OutboxTarget } from '../outbox/outbox-target.js';
import type { ClickAction } from '../payload/click-payload.parser.js';
import type { TrackingEvent } from '../payload/tracking-events.parser.js';
import type { ClickEvent } from './click-event.entity.js';
import {
  clickRow,
  compareKeys,
  rejectionRow,
  type RejectionRecord,
  toEntity,
  trackingRow,
} from './click-rows.js';
import { postgresWriter } from './postgres-writer.js';
import type { ArchiveRow, DeliveryWriter } from './delivery-writer.js';
import { sqliteWriter } from './sqlite-writer.js';

export type { RejectionRecord } from './click-rows.js';

/** The storage could not take a delivery; nothing of it was written. Meta will retry. */
export class ClickStorageError extends Error {
  override readonly name = 'ClickStorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A signed body as it came, to be archived with what it holds (the `archive` option). */
export interface SignedBody {
  body: Buffer;
  signature: string;
}

/** What else a delivery brings besides its actions and rejections. */
export interface DeliveryExtras {
  /** Its tracking events (`sent`...), stored unless already stored. */
  tracking?: readonly TrackingEvent[];
  /** The signed body, to archive. */
  archived?: SignedBody;
}

/**
 * Writes deliveries: every new action of one delivery and its rejections in one transaction,
 * duplicates skipped by the unique dedupe index (never check-then-insert), and tells which
 * actions were new so only those go on to the domain events.
 */
export class ClickEventRepository {
  private readonly writer: DeliveryWriter;

  /**
   * @param targets who each new click must still be handed on to, asked at each write (outbox
   * rows, in the click's transaction)
   */
  constructor(dataSource: DataSource, targets: () => readonly OutboxTarget[]) {
    const type = dataSource.driver.options.type;
    if (type === 'better-sqlite3') this.writer = sqliteWriter(dataSource, targets);
    else if (type === 'postgres') this.writer = postgresWriter(dataSource, targets);
    else {
      throw new Error(
        `nestjs-whatsapp-clicks supports the "better-sqlite3" and "postgres" TypeORM drivers, not "${type}"`,
      );
    }
  }

  /**
   * Stores a delivery's actions (deduplicated) and rejections atomically, and with them its
   * tracking events (deduplicated) and the signed body when given.
   * @returns the newly stored events, in the order of `actions`; duplicates are left out.
   * @throws ClickStorageError when the database cannot take it: then nothing was written.
   */
  async storeDelivery(
    actions: readonly ClickAction[],
    rejections: readonly RejectionRecord[],
    receivedAt: Date,
    { tracking = [], archived }: DeliveryExtras = {},
  ): Promise<ClickEvent[]> {
    // In key order: SQLite's unique index takes sorted keys for less than as they came (and the
    // PostgreSQL writer sorts a group's keys anyway, for its locks). The sort is stable, so a key
    // the delivery repeats is new for its first action, a duplicate for the others (the index).
    const order = actions.map((_, i) => i).sort((i, j) => compareKeys(actions[i]!, actions[j]!));
    const received = receivedAt.getTime();
    const clickRows = order.map((i) => clickRow(actions[i]!, received));
    const rejectionRows = rejections.map((r) => rejectionRow(r, received));

    let ids: (string | undefined)[];
    try {
      ids = await this.writer.write({
        clicks: clickRows,
        tracking: tracking.map((t) => trackingRow(t, received)),
        rejections: rejectionRows,
        archive: archived ? archiveRow(archived, received) : null,
      });
    } catch (error) {
      throw new ClickStorageError(`could not store the delivery: ${describe(error)}`, {
        cause: error,
      });
    }
    const idOf = new Array<string | undefined>(actions.length);
    order.forEach((i, row) => (idOf[i] = ids[row]));
    const stored: ClickEvent[] = [];
    actions.forEach((action, i) => {
      const id = idOf[i];
      if (id !== undefined) stored.push(toEntity(action, id, receivedAt));
    });
    return stored;
  }

  /** Stores a body that was signed but not readable, so nothing Meta sent is lost. */
  async storeRejectedBody(
    body: Buffer,
    reason: string,
    receivedAt: Date,
    archived?: SignedBody,
  ): Promise<void> {
    const received = receivedAt.getTime();
    try {
      await this.writer.write({
        clicks: [],
        tracking: [],
        rejections: [rejectionRow({ kind: 'body', reason, body }, received)],
        archive: archived ? archiveRow(archived, received) : null,
      });
    } catch (error) {
      throw new ClickStorageError(`could not store the rejected body: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  /** Resolves once every write begun so far has committed or failed (before the database closes). */
  async drain(): Promise<void> {
    await this.writer.drain();
  }
}

function archiveRow({ body, signature }: SignedBody, receivedAt: number): ArchiveRow {
  return [receivedAt, signature, body];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
