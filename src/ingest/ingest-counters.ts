import { Injectable } from '@nestjs/common';

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

  add(delta: Partial<IngestCountsSnapshot>): void {
    for (const [key, value] of Object.entries(delta) as [keyof IngestCountsSnapshot, number][]) {
      this.counts[key] += value;
    }
  }

  snapshot(): IngestCountsSnapshot {
    return { ...this.counts };
  }
}
