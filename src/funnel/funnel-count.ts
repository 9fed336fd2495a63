import {
  addLinksWithoutClickId,
  addSentRows,
  FunnelRows,
  type FunnelState,
} from './funnel-rollup-rows.js';
import { type FunnelKeys, type QueuedRow, queuedKey } from './funnel-state.js';

/** What one transaction read for a batch: states, pending rows, the batch's other rows. */
export interface FunnelReads {
  /** Everything stored under the touched click ids. */
  states: ReadonlyMap<string, FunnelState>;
  /** Queued rows under those click ids (`queuedKey`s), the batch's among them. */
  pending: ReadonlySet<string>;
  /** The batch's link clicks without a click id, with their ids (`CLICK_COLUMNS` order). */
  linksWithoutClickId: readonly { id: string; row: readonly unknown[] }[];
  /** The batch's `sent` tracking events (`TRACKING_COLUMNS` order). */
  sent: readonly (readonly unknown[])[];
}

/** The state as counted: without the rows still queued, unless `also` holds them. */
function counted(
  state: FunnelState,
  pending: ReadonlySet<string>,
  also: ReadonlySet<string>,
): FunnelState {
  const keep = (key: string) => !pending.has(key) || also.has(key);
  return {
    links: state.links.filter((link) => keep(queuedKey('k', link.id))),
    actions: state.actions.filter((action) => keep(queuedKey('k', action.id))),
    conversions: state.conversions.filter((c) => keep(queuedKey('c', c.id))),
  };
}

const idsOf = (batch: readonly QueuedRow[], kind: 'k' | 'c') =>
  new Set(batch.filter((q) => q.kind === kind).map((q) => q.rowId));

/**
 * What counting the queued `batch` adds to the rollups: for every touched click id, what its
 * link clicks count with the batch less what they count without it, leaving out rows queued
 * after the batch (they are counted with their own batch).
 */
export function countQueued(batch: readonly QueuedRow[], reads: FunnelReads): FunnelRows {
  const rows = new FunnelRows();
  const inBatch = keysOf(batch);
  const changed = { clicks: idsOf(batch, 'k'), conversions: idsOf(batch, 'c') };
  for (const state of reads.states.values()) {
    rows.addChange(counted(state, reads.pending, inBatch), changed, 1);
  }
  addLinksWithoutClickId(rows, reads.linksWithoutClickId, 1);
  return addSentRows(rows, reads.sent, 1);
}

/**
 * What deleting rows takes out of the rollups (the states read before the delete): what they
 * counted, for those counted already (a queued row was never counted; its batch finds it gone).
 */
export function countRemoved(
  removed: { clicks: ReadonlySet<string>; conversions: ReadonlySet<string> },
  reads: FunnelReads,
): FunnelRows {
  const rows = new FunnelRows();
  const none = new Set<string>();
  for (const state of reads.states.values()) {
    rows.addChange(counted(state, reads.pending, none), removed, -1);
  }
  addLinksWithoutClickId(rows, reads.linksWithoutClickId, -1);
  return addSentRows(rows, reads.sent, -1);
}

/** The states queued rows touch: a click row its account's, a conversion its click id's. */
export function keysIn(batch: readonly QueuedRow[]): FunnelKeys {
  const pairs: [string, string][] = [];
  const clickIds: string[] = [];
  for (const q of batch) {
    if (q.clickId === null) continue;
    if (q.kind === 'k' && q.account !== null) pairs.push([q.account, q.clickId]);
    else if (q.kind === 'c') clickIds.push(q.clickId);
  }
  return { pairs, clickIds };
}

/** The ids of queued link clicks without a click id. */
export const withoutClickId = (batch: readonly QueuedRow[]) =>
  batch.filter((q) => q.kind === 'k' && q.clickId === null).map((q) => q.rowId);
/** The ids of queued `sent` tracking events. */
export const sentIn = (batch: readonly QueuedRow[]) =>
  batch.filter((q) => q.kind === 't').map((q) => q.rowId);

/** The `queuedKey`s of queued rows. */
export const keysOf = (batch: readonly QueuedRow[]) =>
  new Set(batch.map((q) => queuedKey(q.kind, q.rowId)));
