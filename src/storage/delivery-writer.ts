import type { Row } from './click-rows.js';

/** Writes one delivery's rows in one transaction; the id of each new click, undefined for a duplicate. */
export interface DeliveryWriter {
  write(delivery: DeliveryRows): Promise<(string | undefined)[]>;
  /** Resolves once every write submitted so far has settled. */
  drain(): Promise<void>;
}

/** Rows of one delivery, as written. */
export interface DeliveryRows {
  clicks: Row[];
  /** Tracking events (`sent`...), inserted unless already stored. */
  tracking: Row[];
  rejections: Row[];
  /** The signed body as it came (the `archive` option), or null. */
  archive: ArchiveRow | null;
}

/** `received_at`, `signature`, `body`: the columns of `delivery_archive`. */
export type ArchiveRow = [receivedAt: number, signature: string, body: Buffer];

export const ARCHIVE_INSERT =
  'INSERT INTO "delivery_archive" ("received_at", "signature", "body") VALUES';

/** What a delivery weighs in a group commit: its rows. */
export const deliveryWeight = (delivery: DeliveryRows) =>
  delivery.clicks.length +
  delivery.tracking.length +
  delivery.rejections.length +
  (delivery.archive ? 1 : 0);
