/** Highest count first, then by key as bytes, the null key last (as `clickStats`). */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Conditions on one table alias, with their parameters in either database's notation. */
export class Where {
  readonly values: (string | number)[] = [];
  private readonly parts: string[] = [];

  constructor(
    private readonly postgres: boolean,
    private readonly alias: string,
  ) {}

  get sql(): string {
    return this.parts.join(' AND ');
  }

  /** `condition` with one `?`, on a column of the alias. */
  add(condition: string, value: string | number): void {
    this.parts.push(`${this.alias}.${condition.replace('?', this.param(value))}`);
  }

  /** A parameter placeholder for `value`. */
  param(value: string | number): string {
    this.values.push(value);
    return this.postgres ? `$${this.values.length}` : '?';
  }
}

/** Adds conversion values of one currency list into another (same currency: summed). */
export function addValues(into: FunnelValueSums, values: readonly FunnelValue[]): void {
  for (const value of values) {
    const known = into.get(value.currency);
    if (known) {
      known.sum += value.sum;
      known.count += value.count;
    } else {
      into.set(value.currency, { ...value });
    }
  }
}

/** A sum of conversion values in one currency (null: reported without a currency). */
export interface FunnelValue {
  currency: string | null;
  sum: number;
  count: number;
}

/** Sums per currency, as `addValues` builds them. */
export type FunnelValueSums = Map<string | null, FunnelValue>;

/** The sums in currency order (null first, as the database orders them). */
export function valueList(sums: FunnelValueSums): FunnelValue[] {
  // One entry per currency, so at most one null.
  return [...sums.values()].sort((a, b) =>
    a.currency === null ? -1 : b.currency === null ? 1 : compareKeys(a.currency, b.currency),
  );
}
