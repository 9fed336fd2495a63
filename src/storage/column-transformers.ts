import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as BIGINT milliseconds since the epoch on every driver: one entity serves
 * SQLite and PostgreSQL, comparisons stay integer, and no driver reinterprets a time zone.
 * PostgreSQL returns BIGINT as a string, SQLite as a number.
 */
export const epochMillis: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: string | number | null) => (value == null ? null : new Date(Number(value))),
};

/** BIGINT ids are strings in the API whatever the driver returns. */
export const bigintId: ValueTransformer = {
  to: (value: string | null | undefined) => value,
  from: (value: string | number | null) => (value == null ? null : String(value)),
};
