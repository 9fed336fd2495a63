import type { ClickMessage } from '../live/click-pubsub.js';
import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import type { ClickEventFilter } from '../models/click-event-filter.input.js';

/** A GraphQL filter as the store's criteria; null and absent fields mean "any". */
export function toCriteria(
  businessAccountId: string,
  filter: ClickEventFilter | null | undefined,
): ClickEventCriteria {
  const criteria: ClickEventCriteria = { businessAccountId };
  if (!filter) return criteria;
  if (filter.from) criteria.from = filter.from.getTime();
  if (filter.to) criteria.to = filter.to.getTime();
  if (filter.clickComponent) criteria.clickComponent = filter.clickComponent;
  for (const key of ['productId', 'phoneNumberId', 'actionType', 'clickId'] as const) {
    const value = filter[key];
    if (value !== null && value !== undefined) criteria[key] = value;
  }
  return criteria;
}

/** Whether a live click matches the criteria, as the database would select it. */
export function matchesCriteria(message: ClickMessage, criteria: ClickEventCriteria): boolean {
  return (
    message.businessAccountId === criteria.businessAccountId &&
    (criteria.from === undefined || message.occurredAt >= criteria.from) &&
    (criteria.to === undefined || message.occurredAt < criteria.to) &&
    (criteria.clickComponent === undefined || message.clickComponent === criteria.clickComponent) &&
    (criteria.productId === undefined || message.productId === criteria.productId) &&
    (criteria.phoneNumberId === undefined || message.phoneNumberId === criteria.phoneNumberId) &&
    (criteria.actionType === undefined || message.actionType === criteria.actionType) &&
    (criteria.clickId === undefined || message.clickId === criteria.clickId)
  );
}
