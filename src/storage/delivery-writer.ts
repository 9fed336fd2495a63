import type { Row } from './click-rows.js';

/** Writes click and rejection rows in one transaction; the id of each new click, undefined for a duplicate. */
export interface DeliveryWriter {
  write(clicks: Row[], rejections: Row[]): Promise<(string | undefined)[]>;
  /** Resolves once every write submitted so far has settled. */
  drain(): Promise<void>;
}

/** Rows of one delivery, as written. */
export interface DeliveryRows {
  clicks: Row[];
  rejections: Row[];
}
