import { plainToInstance } from 'class-transformer';
import {
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { isStorableText } from '../payload/json-limits.js';

/** Most conversions one request may carry. */
export const MAX_CONVERSIONS_PER_REQUEST = 100;

/** One conversion as a site or a server reports it. */
export class ConversionInput {
  /** The click's `click_id`, as Meta appended it to the landing URL. */
  @IsString({ message: 'clickId must be a string' })
  @Length(1, 512, { message: 'clickId must be 1 to 512 characters' })
  clickId!: string;

  /** What the visitor did: `landing_page_view`, `add_to_cart`, `purchase`... */
  @IsString({ message: 'event must be a string' })
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, {
    message: 'event must be 1 to 64 letters, digits, _ . : or -',
  })
  event!: string;

  /** When (ISO 8601); default: when it was received. */
  @IsOptional()
  @IsString({ message: 'occurredAt must be an ISO 8601 date string' })
  occurredAt?: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'value must be a finite number' })
  value?: number;

  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  currency?: string;

  /** The reporter's own id of it: a conversion reported twice with one id is stored once. */
  @IsOptional()
  @IsString({ message: 'id must be a string' })
  @Length(1, 128, { message: 'id must be 1 to 128 characters' })
  id?: string;
}

/** A valid conversion, ready to be stored. */
export interface Conversion {
  clickId: string;
  event: string;
  /** ms since the epoch; null: when it was received. */
  occurredAt: number | null;
  value: number | null;
  currency: string | null;
  externalId: string | null;
  /** `id:` + its id, or click id, event and time: what makes it unique. */
  dedupeKey: string;
}

/** What a request body holds: valid conversions, and why each other item is not one. */
export interface ReadConversions {
  conversions: Conversion[];
  rejected: { index: number; reason: string }[];
  /** Why the body as a whole cannot be read, or null. */
  refused: string | null;
}

/**
 * Reads a request body (one conversion, an array of them, or JSON text of either, as a beacon
 * sends it): each item is checked alone, so a bad one never loses its neighbours.
 */
export function readConversions(body: unknown): ReadConversions {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { conversions: [], rejected: [], refused: 'the body is not JSON' };
    }
  }
  if (value === undefined || value === null || typeof value !== 'object') {
    return {
      conversions: [],
      rejected: [],
      refused: 'send a conversion { clickId, event, ... } or an array of them, as JSON',
    };
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0 || items.length > MAX_CONVERSIONS_PER_REQUEST) {
    return {
      conversions: [],
      rejected: [],
      refused: `send 1 to ${MAX_CONVERSIONS_PER_REQUEST} conversions per request, not ${items.length}`,
    };
  }
  const result: ReadConversions = { conversions: [], rejected: [], refused: null };
  items.forEach((item, index) => {
    const read = readOne(item);
    if (typeof read === 'string') result.rejected.push({ index, reason: read });
    else result.conversions.push(read);
  });
  return result;
}

function readOne(item: unknown): Conversion | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return 'a conversion must be an object { clickId, event, ... }';
  }
  const input = plainToInstance(ConversionInput, item);
  const errors = validateSync(input, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  if (errors.length > 0) return errors.map(describe).join('; ');
  if (!isStorableText(input.clickId) || (input.id !== undefined && !isStorableText(input.id))) {
    return 'clickId and id must not hold NUL or lone surrogates';
  }
  let occurredAt: number | null = null;
  if (input.occurredAt !== undefined) {
    occurredAt = Date.parse(input.occurredAt);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(input.occurredAt) || Number.isNaN(occurredAt)) {
      return `occurredAt ${JSON.stringify(input.occurredAt.slice(0, 40))} is not an ISO 8601 date-time`;
    }
  }
  return {
    clickId: input.clickId,
    event: input.event,
    occurredAt,
    value: input.value ?? null,
    currency: input.currency ?? null,
    externalId: input.id ?? null,
    dedupeKey:
      input.id !== undefined
        ? `id:${input.id}`
        : `k:${JSON.stringify([input.clickId, input.event, occurredAt])}`,
  };
}

function describe(error: ValidationError): string {
  const messages = Object.values(error.constraints ?? {});
  return messages.length > 0 ? messages.join(', ') : `${error.property} is not allowed`;
}
