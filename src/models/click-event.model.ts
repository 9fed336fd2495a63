import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { ClickMessage } from '../live/click-pubsub.js';
import type { ClickEvent as ClickEventEntity } from '../storage/click-event.entity.js';

/** The part of the message that was clicked. */
export enum ClickComponent {
  CTA = 'cta',
  BODY = 'body',
}
registerEnumType(ClickComponent, { name: 'ClickComponent' });

/** A stored click, as the API shows it. Separate from the entity so a column never leaks. */
@ObjectType('ClickEvent')
export class ClickEventModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  businessAccountId!: string;

  @Field()
  phoneNumberId!: string;

  @Field(() => String, { nullable: true })
  displayPhoneNumber!: string | null;

  @Field()
  actionType!: string;

  /** Null when Meta sent none, or a component this version does not know. */
  @Field(() => ClickComponent, { nullable: true })
  clickComponent!: ClickComponent | null;

  @Field(() => String, { nullable: true })
  clickId!: string | null;

  @Field(() => String, { nullable: true })
  productId!: string | null;

  @Field(() => String, { nullable: true })
  trackingToken!: string | null;

  @Field(() => GraphQLISODateTime, { description: "From the action's timestamp." })
  occurredAt!: Date;

  @Field(() => GraphQLISODateTime)
  receivedAt!: Date;
}

const COMPONENTS = new Set<string>(Object.values(ClickComponent));

/** A stored click, or one received live (dates as milliseconds), as the API shows it. */
export function toClickEventModel(entity: ClickEventEntity | ClickMessage): ClickEventModel {
  const model = new ClickEventModel();
  model.id = entity.id;
  model.businessAccountId = entity.businessAccountId;
  model.phoneNumberId = entity.phoneNumberId;
  model.displayPhoneNumber = entity.displayPhoneNumber;
  model.actionType = entity.actionType;
  model.clickComponent =
    entity.clickComponent !== null && COMPONENTS.has(entity.clickComponent)
      ? (entity.clickComponent as ClickComponent)
      : null;
  model.clickId = entity.clickId;
  model.productId = entity.productId;
  model.trackingToken = entity.trackingToken;
  model.occurredAt = new Date(entity.occurredAt);
  model.receivedAt = new Date(entity.receivedAt);
  return model;
}
