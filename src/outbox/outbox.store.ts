import type { OutboxTarget } from './outbox-target.js';

/** One outbox row: the new clicks of one transaction, for one target. */
export interface OutboxEntry {
  id: string;
  clickIds: string[];
}

/** The outbox table as the dispatcher uses it; one implementation per database. */
export interface OutboxStore {
  /**
   * Leases up to `limit` entries of `target` that nobody holds (or whose lease has expired) to
   * `owner` for `leaseMs`, oldest first. Two callers never get the same entry while a lease holds.
   */
  claim(
    target: OutboxTarget,
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<OutboxEntry[]>;
  /** Deletes entries handed on; only while `owner` still holds them. */
  complete(entryIds: readonly string[], owner: string): Promise<void>;
  /** Keeps entries that could not be handed on for another try in `delayMs`. */
  retryLater(entryIds: readonly string[], owner: string, delayMs: number): Promise<void>;
  /** Clicks not yet handed on, per target. */
  pending(): Promise<Record<OutboxTarget, number>>;
}

export function toEntry(row: { id: number | string; click_ids: string }): OutboxEntry {
  return { id: String(row.id), clickIds: row.click_ids.split(',') };
}

export function pendingByTarget(
  rows: readonly { target: string; clicks: number | string | null }[],
): Record<OutboxTarget, number> {
  const pending: Record<OutboxTarget, number> = { events: 0, forward: 0 };
  for (const { target, clicks } of rows) {
    if (target === 'events' || target === 'forward') pending[target] = Number(clicks ?? 0);
  }
  return pending;
}
