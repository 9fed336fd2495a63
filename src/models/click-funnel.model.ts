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

export class ClickFunnelModel {
  steps!: FunnelStepModel[];
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
