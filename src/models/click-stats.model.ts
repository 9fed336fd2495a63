import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';

export enum StatsInterval {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}
registerEnumType(StatsInterval, { name: 'StatsInterval' });

@ObjectType()
export class StatBucket {
  @Field(() => String, { nullable: true, description: 'null: the field was absent' })
  key!: string | null;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class TimeBucket {
  @Field(() => GraphQLISODateTime)
  start!: Date;

  @Field(() => Int)
  count!: number;
}

/** Every field is computed in the database, and only when the query asks for it. */
@ObjectType()
export class ClickStats {
  /** What the fields count; not in the schema. */
  criteria!: ClickEventCriteria;
}
