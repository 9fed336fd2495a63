import type { RejectedDelivery } from '../storage/rejected-delivery.entity.js';
import { PageInfo } from './click-event-connection.model.js';

/** A signed delivery (or one action of it) that could not be stored as clicks, with why. */
export class RejectedDeliveryModel {
  id!: string;
  receivedAt!: Date;
  /** `body` (not JSON) or `action` (one action or change that broke the shape). */
  kind!: string;
  businessAccountId!: string | null;
  path!: string | null;
  reason!: string;
  /** The body as received, or the action with its context as JSON. */
  payload!: string;
  /** `utf8`, or `base64` when the bytes were not UTF-8. */
  payloadEncoding!: string;
}

/** A page of rejected deliveries, oldest first. */
export class RejectedDeliveryPage {
  nodes!: RejectedDeliveryModel[];
  pageInfo!: PageInfo;
}

/** What `replayRejectedDeliveries` did, or would do. */
export class ReplayResultModel {
  examined!: number;
  replayed!: number;
  stored!: number;
  duplicates!: number;
  stillRejected!: number;
  dryRun!: boolean;
}

export function toRejectedDeliveryModel(row: RejectedDelivery): RejectedDeliveryModel {
  return Object.assign(new RejectedDeliveryModel(), {
    id: row.id,
    receivedAt: row.receivedAt,
    kind: row.kind,
    businessAccountId: row.businessAccountId,
    path: row.path,
    reason: row.reason,
    payload: row.payload,
    payloadEncoding: row.payloadEncoding,
  });
}
