import type { ClickEventCriteria } from '../storage/click-event.queries.js';

export enum StatsInterval {
  MINUTE = 'MINUTE',
  HOUR = 'HOUR',
  DAY = 'DAY',
}

/** One key of a breakdown and its count; key null: the field was absent. */
export class StatBucket {
  key!: string | null;
  count!: number;
}

/** One bucket of a timeseries. */
export class TimeBucket {
  start!: Date;
  count!: number;
}

/** Statistics of a filtered set: every field is computed in the database, only when asked. */
export class ClickStats {
  /** What the fields count; not in the schema. */
  criteria!: ClickEventCriteria;
}
