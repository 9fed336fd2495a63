import type { DataSource } from 'typeorm';
import type { ClickAction } from '../payload/click-payload.parser.js';
import { ClickEvent } from '../storage/click-event.entity.js';
import { dedupeIdentity } from '../storage/click-rows.js';

/** Keys per look-up: three parameters each. */
const KEYS_PER_QUERY = 200;

/**
 * How many of `actions` are already stored (by the dedupe key, as a write would find them):
 * what a dry run reports as duplicates instead of writing.
 */
export async function countStored(
  dataSource: DataSource,
  actions: readonly ClickAction[],
): Promise<number> {
  const unique = new Map<string, ClickAction>();
  for (const a of actions) {
    unique.set(dedupeIdentity(a.businessAccountId, a.dedupeKey, a.actionType), a);
  }
  const keys = [...unique.values()];
  const events = dataSource.getRepository(ClickEvent);
  let stored = 0;
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    stored += await events.count({
      where: keys.slice(start, start + KEYS_PER_QUERY).map((a) => ({
        businessAccountId: a.businessAccountId,
        dedupeKey: a.dedupeKey,
        actionType: a.actionType,
      })),
    });
  }
  return stored + (actions.length - keys.length);
}
