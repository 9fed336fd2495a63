import { Field, GraphQLISODateTime, InputType } from '@nestjs/graphql';
import { ClickComponent } from './click-event.model.js';

@InputType('ClickEventFilter')
export class ClickEventFilter {
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'occurredAt >= from' })
  from?: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'occurredAt < to' })
  to?: Date | null;

  @Field(() => ClickComponent, { nullable: true })
  clickComponent?: ClickComponent | null;

  @Field(() => String, { nullable: true })
  productId?: string | null;

  @Field(() => String, { nullable: true })
  phoneNumberId?: string | null;

  @Field(() => String, { nullable: true })
  actionType?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Landing-page attribution: the click_id from the URL.',
  })
  clickId?: string | null;
}
