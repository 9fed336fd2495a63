import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsDate, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { Satisfies } from '../config/satisfies.decorator.js';
import { isStorableText } from '../payload/json-limits.js';
import { ClickComponent } from './click-event.model.js';

/** Longest id or key a filter takes; Meta's are far shorter. */
const MAX_FILTER_VALUE_LENGTH = 512;

/** An optional id or key to match exactly. */
const TextFilter = () =>
  applyDecorators(
    IsOptional(),
    IsString({ message: 'must be a string' }),
    // What no stored click can hold (NUL, lone surrogates): PostgreSQL would refuse the query.
    Satisfies(isStorableText, 'must not contain NUL or lone surrogates'),
    MaxLength(MAX_FILTER_VALUE_LENGTH, {
      message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
    }),
  );

/** Which clicks: every field is optional, all given ones must hold (GraphQL `ClickEventFilter`). */
export class ClickEventFilter {
  /** occurredAt >= from */
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be a date' })
  from?: Date | null;

  /** occurredAt < to */
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'must be a date' })
  to?: Date | null;

  @IsOptional()
  @IsEnum(ClickComponent, { message: 'must be CTA or BODY' })
  clickComponent?: ClickComponent | null;

  @TextFilter()
  productId?: string | null;

  @TextFilter()
  phoneNumberId?: string | null;

  @TextFilter()
  actionType?: string | null;

  /** Landing-page attribution: the click_id from the URL. */
  @TextFilter()
  clickId?: string | null;
}
