import { Type } from 'class-transformer';
import { IsDate, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { ClickComponent } from './click-event.model.js';

/** Longest id or key a filter takes; Meta's are far shorter. */
export const MAX_FILTER_VALUE_LENGTH = 512;

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

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_FILTER_VALUE_LENGTH, {
    message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
  })
  productId?: string | null;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_FILTER_VALUE_LENGTH, {
    message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
  })
  phoneNumberId?: string | null;

  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_FILTER_VALUE_LENGTH, {
    message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
  })
  actionType?: string | null;

  /** Landing-page attribution: the click_id from the URL. */
  @IsOptional()
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_FILTER_VALUE_LENGTH, {
    message: `must be at most ${MAX_FILTER_VALUE_LENGTH} characters`,
  })
  clickId?: string | null;
}
