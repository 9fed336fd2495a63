/** One UTC day of `clickReconciliation`: Meta's CTA clicks against those stored. */
export class ReconciliationDayModel {
  day!: Date;
  metaClicks!: number;
  storedClicks!: number;
  drift!: number;
  settled!: boolean;
  checkedAt!: Date;
}
