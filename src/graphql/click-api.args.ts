// The arguments of the module's GraphQL fields, validated by GraphQLInputPipe before a resolver
// runs: a bad value is BAD_USER_INPUT with a message that names the argument.
import { ArgsType, Field, ID, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Satisfies } from '../config/satisfies.decorator.js';
import { ClickEventFilter } from '../models/click-event-filter.input.js';
import { StatsInterval } from '../models/click-stats.model.js';
import { isStorableText } from '../payload/json-limits.js';
import { assertTimeZone } from '../stats/time-buckets.js';
import './graphql-types.js';

export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PRODUCT_BUCKETS = 1000;
/** Longest business account id taken; Meta's are about 16 digits. */
const MAX_ACCOUNT_ID_LENGTH = 128;

/**
 * What a list argument (`first`, `limit`) adds to an operation's cost, decided before the
 * argument is validated: anything outside 1..max costs as much as max, so no value (a negative
 * `first`, say) can lower the cost of the rest of the operation.
 */
export function listCost(value: unknown, fallback: number, max: number): number {
  const size = value === undefined || value === null ? fallback : Number(value);
  return Math.ceil((Number.isInteger(size) && size >= 1 && size <= max ? size : max) / 10);
}

function isTimeZone(value: unknown): boolean {
  try {
    assertTimeZone(value as string);
    return typeof value === 'string' && value.length <= 64;
  } catch {
    return false;
  }
}

@ArgsType()
export class ClickEventArgs {
  /** Not a click's id (digits): there is no such click, so null. */
  @Field(() => ID)
  @IsString({ message: 'must be a string' })
  @MaxLength(64, { message: 'must be at most 64 characters' })
  id!: string;
}

@ArgsType()
export class AccountArgs {
  @Field(() => ID)
  @IsString({ message: 'must be a string' })
  @Length(1, MAX_ACCOUNT_ID_LENGTH, { message: `must be 1 to ${MAX_ACCOUNT_ID_LENGTH} characters` })
  @Satisfies(isStorableText, 'must not contain NUL or lone surrogates')
  businessAccountId!: string;

  @Field(() => ClickEventFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClickEventFilter)
  filter?: ClickEventFilter | null;
}

@ArgsType()
export class ClickEventsArgs extends AccountArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE })
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: `must be from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `must be from 1 to ${MAX_PAGE_SIZE}` })
  first: number = DEFAULT_PAGE_SIZE;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200, { message: 'is not a cursor of clickEvents' })
  after?: string | null;
}

@ArgsType()
export class ClickSubscriptionArgs extends AccountArgs {
  @Field(() => String, {
    nullable: true,
    description:
      'A `cursor` of a click of this account: first every click stored after it, in order, then live ones.',
  })
  @IsOptional()
  @MaxLength(200, { message: 'is not a cursor of clickEvents' })
  after?: string | null;
}

@ArgsType()
export class TimeseriesArgs {
  @Field(() => StatsInterval)
  @IsEnum(StatsInterval, { message: 'must be MINUTE, HOUR or DAY' })
  interval!: StatsInterval;

  @Field(() => String, { defaultValue: 'UTC' })
  @Satisfies(isTimeZone, 'must be an IANA time zone such as "Europe/Berlin"')
  timezone: string = 'UTC';
}

@ArgsType()
export class ByProductArgs {
  @Field(() => Int, { defaultValue: 10 })
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: `must be from 1 to ${MAX_PRODUCT_BUCKETS}` })
  @Max(MAX_PRODUCT_BUCKETS, { message: `must be from 1 to ${MAX_PRODUCT_BUCKETS}` })
  limit: number = 10;
}
