import { Column, Entity, Generated, PrimaryColumn } from 'typeorm';
import { bigintId, epochMillis } from './column-transformers.js';

/** `body`: a signed delivery that was not JSON. `action`: one action (or change) that broke the shape. */
export type RejectionKind = 'body' | 'action';

/**
 * Something Meta signed that could not be stored as a click: kept with the reason, so nothing
 * is lost and it can be replayed once the cause is fixed.
 */
// The module's migrations own this table: a host's `synchronize` or `migration:generate` leaves it alone.
@Entity({ name: 'rejected_deliveries', synchronize: false })
export class RejectedDelivery {
  @PrimaryColumn({ type: 'bigint', transformer: bigintId })
  @Generated('increment')
  id!: string;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMillis })
  receivedAt!: Date;

  @Column({ name: 'kind', type: 'varchar' })
  kind!: RejectionKind;

  @Column({ name: 'business_account_id', type: 'varchar', nullable: true })
  businessAccountId!: string | null;

  /** Where in the envelope (`entry[0].changes[0].user_actions[3]`), null for a whole body. */
  @Column({ name: 'path', type: 'varchar', nullable: true })
  path!: string | null;

  @Column({ name: 'reason', type: 'text' })
  reason!: string;

  /** The raw body (kind `body`) or the action with its context as JSON (kind `action`). */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;

  /** `utf8` when `payload` is the bytes as text; `base64` when the bytes were not UTF-8. */
  @Column({ name: 'payload_encoding', type: 'varchar' })
  payloadEncoding!: 'utf8' | 'base64';
}
