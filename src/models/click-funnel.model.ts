import type { ClickEventCriteria } from '../storage/click-event.queries.js';

/** Conversion values of one currency (null: reported without one). */
export class FunnelValueModel {
  currency!: string | null;
  sum!: number;
  count!: number;
}

/** One step of a funnel: how many got there, and the share of the step before. */
export class FunnelStepModel {
  name!: string;
  count!: number;
  rate!: number | null;
  values!: FunnelValueModel[];
}

/** A funnel of the clicks with one value of a breakdown (null: clicks without it). */
export class FunnelGroupModel {
  key!: string | null;
  steps!: FunnelStepModel[];
}

/** A funnel: every field is computed when asked. */
export class ClickFunnelModel {
  /** What it counts; not in the schema. */
  criteria!: ClickEventCriteria;
  stepNames!: string[];
}

/** An account the caller may read, with its clicks. */
export class ClickAccountModel {
  businessAccountId!: string;
  total!: number;
  lastClickAt!: Date | null;
}

/** What a landing page or a server reported for a click. */
export class ConversionModel {
  event!: string;
  occurredAt!: Date;
  value!: number | null;
  currency!: string | null;
  /** The reporter's own id of it, if it gave one. */
  externalId!: string | null;
  /** `beacon` (a browser) or `server`. */
  source!: string;
}
