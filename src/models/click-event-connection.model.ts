import { Field, Int, ObjectType } from '@nestjs/graphql';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import { ClickEventModel } from './click-event.model.js';

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType()
export class ClickEventEdge {
  @Field()
  cursor!: string;

  @Field(() => ClickEventModel)
  node!: ClickEventModel;
}

@ObjectType()
export class ClickEventConnection {
  @Field(() => [ClickEventEdge])
  edges!: ClickEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Resolved only when asked: the size of the whole filtered set. */
  @Field(() => Int, { description: 'The size of the whole filtered set, whatever `after` is.' })
  totalCount?: number;

  /** What `totalCount` counts; not in the schema. */
  criteria!: ClickEventCriteria;
}
