import { Column, Entity, Generated, PrimaryColumn } from 'typeorm';
import { bigintId, epochMillis } from './column-transformers.js';

/**
 * One stored user action from a WhatsApp marketing message.
 *
 * The module's migrations own the table and its indexes (see them for why each exists): a
 * host's `synchronize` or `migration:generate` leaves it alone.
 */
@Entity({ name: 'click_events', synchronize: false })
export class ClickEvent {
  @PrimaryColumn({ type: 'bigint', transformer: bigintId })
  @Generated('increment')
  id!: string;

  /** The WhatsApp Business Account (the webhook's `entry[].id`). */
  @Column({ name: 'business_account_id', type: 'varchar' })
  businessAccountId!: string;

  @Column({ name: 'phone_number_id', type: 'varchar' })
  phoneNumberId!: string;

  @Column({ name: 'display_phone_number', type: 'varchar', nullable: true })
  displayPhoneNumber!: string | null;

  /** An open set: `marketing_messages_link_click` today, more later. */
  @Column({ name: 'action_type', type: 'varchar' })
  actionType!: string;

  /** As Meta sent it: `cta`, `body`, or a value Meta adds later. */
  @Column({ name: 'click_component', type: 'varchar', nullable: true })
  clickComponent!: string | null;

  @Column({ name: 'click_id', type: 'varchar', nullable: true })
  clickId!: string | null;

  @Column({ name: 'product_id', type: 'varchar', nullable: true })
  productId!: string | null;

  @Column({ name: 'tracking_token', type: 'varchar', nullable: true })
  trackingToken!: string | null;

  /** The action's own timestamp. */
  @Column({ name: 'occurred_at', type: 'bigint', transformer: epochMillis })
  occurredAt!: Date;

  /** When this process stored it. */
  @Column({ name: 'received_at', type: 'bigint', transformer: epochMillis })
  receivedAt!: Date;

  /** `click_id`, or `fp:` + a hash of the action's fields when Meta sent no click_id. */
  @Column({ name: 'dedupe_key', type: 'varchar' })
  dedupeKey!: string;

  /** Whatever Meta sent that this version does not know (fields, nested data); null if nothing. */
  @Column({ name: 'extra', type: 'simple-json', nullable: true })
  extra!: Record<string, unknown> | null;
}
