import { Injectable } from '@nestjs/common';
import type { ClickEvent } from '../storage/click-event.entity.js';

/** What this process has made of the deliveries it accepted, since it started. */
export interface IngestCountsSnapshot {
  /** Signed deliveries answered 200 or 400. */
  deliveries: number;
  /** New actions stored. */
  stored: number;
  /** Actions already stored (Meta's retries). */
  duplicates: number;
  /** Actions, or changes, kept as rejected with a reason. */
  rejectedActions: number;
  /** Signed bodies that were not JSON (answered 400, kept as rejected). */
  rejectedBodies: number;
  /** Envelopes or changes that carry no clicks (messages, statuses, other objects). */
  ignored: number;
}

/** Action types Meta documents; others are stored too, and counted by name. */
const KNOWN_ACTION_TYPES = new Set(['marketing_messages_link_click', 'landing_page_view']);
/** Distinct unknown names counted one by one; past it they count as `other` (labels stay few). */
const MAX_NAMES = 100;
const OTHER = 'other';

/** In-process counters of the ingest path; inject it to expose them as metrics. */
@Injectable()
export class IngestCounters {
  private readonly counts: IngestCountsSnapshot = {
    deliveries: 0,
    stored: 0,
    duplicates: 0,
    rejectedActions: 0,
    rejectedBodies: 0,
    ignored: 0,
  };
  /** Webhook POSTs by the status they were answered with. */
  private readonly answers = new Map<number, number>();
  private readonly actionTypes = new Map<string, number>();
  private readonly fields = new Map<string, number>();

  add(delta: Partial<IngestCountsSnapshot>): void {
    for (const [key, value] of Object.entries(delta) as [keyof IngestCountsSnapshot, number][]) {
      this.counts[key] += value;
    }
  }

  /** A webhook POST was answered with `status`. */
  answered(status: number): void {
    this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
  }

  /** New clicks: their action types and fields this version does not know are counted by name. */
  noteUnknown(stored: readonly ClickEvent[]): void {
    for (const click of stored) {
      if (!KNOWN_ACTION_TYPES.has(click.actionType)) countName(this.actionTypes, click.actionType);
      if (click.extra === null) continue;
      for (const [key, value] of Object.entries(click.extra)) {
        if (key !== 'marketing_messages_link_click_data') countName(this.fields, key);
        else if (typeof value === 'object' && value !== null) {
          for (const inner of Object.keys(value)) countName(this.fields, `${key}.${inner}`);
        }
      }
    }
  }

  snapshot(): IngestCountsSnapshot {
    return { ...this.counts };
  }

  /** Webhook POSTs by answer status. */
  answerCounts(): ReadonlyMap<number, number> {
    return this.answers;
  }

  /** New clicks of action types Meta does not document, by type. */
  unknownActionTypes(): ReadonlyMap<string, number> {
    return this.actionTypes;
  }

  /** New clicks carrying fields this version does not know, by field (`a.b` for click data). */
  unknownFields(): ReadonlyMap<string, number> {
    return this.fields;
  }
}

function countName(counts: Map<string, number>, name: string): void {
  const cut = name.slice(0, 100);
  const key = counts.has(cut) || counts.size < MAX_NAMES ? cut : OTHER;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
