import type { Counter, Gauge, Registry } from 'prom-client';
import type { FunnelCounter } from '../funnel/funnel-counter.js';
import type { IngestCounters } from '../ingest/ingest-counters.js';
import type { LiveSubscriptions } from '../live/live-subscriptions.js';
import { requirePackages } from '../optional/require-packages.js';
import type { ClickOutbox } from '../outbox/click-outbox.service.js';
import type { ClickReconciliation } from '../reconciliation/click-reconciliation.service.js';
import type { ClickRetention } from '../retention/click-retention.service.js';
import type { RollupFolding } from '../rollups/rollup-folding.js';
import type { ClickScans } from '../scans/click-scans.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';

/** The metrics provider: null when the `metrics` option is off. */
export const WHATSAPP_CLICKS_METRICS = Symbol('WHATSAPP_CLICKS_METRICS');

/** What the ingest path records itself; everything else is read when Prometheus scrapes. */
export interface ClickMetrics {
  /** One delivery took `seconds` from its signed body to its answer. */
  observeIngest(seconds: number): void;
}

/** Where the counters come from. */
export interface ClickMetricSources {
  counters: IngestCounters;
  live: LiveSubscriptions;
  outbox: ClickOutbox;
  retention: ClickRetention;
  reconciliation: ClickReconciliation;
  funnel: FunnelCounter;
  scans: ClickScans;
  folding: RollupFolding;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Registers the module's metrics on the configured registry (prom-client's default one unless
 * given). Counters are read from the module's own counts at scrape time, so the ingest path
 * does no more per request than it did without metrics, but for one histogram observation.
 * A metric of the same name already there (an app created again in one process) is replaced.
 */
export async function createClickMetrics(
  config: WhatsAppClicksConfig,
  sources: ClickMetricSources,
): Promise<ClickMetrics | null> {
  if (!config.metrics) return null;
  await requirePackages('metrics', ['prom-client']);
  const prom = await import('prom-client');
  const registry = (config.metrics.registry ?? prom.register) as Registry;
  const registers = [registry];
  const fresh = (name: string) => {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    return name;
  };
  const { counters, live, outbox, retention, reconciliation, funnel, scans, folding } = sources;

  const fromCounts = <L extends string>(
    name: string,
    help: string,
    labelName: L,
    read: () => Iterable<[string | number, number]>,
  ) =>
    new prom.Counter<L>({
      name: fresh(name),
      help,
      labelNames: [labelName],
      registers,
      collect(this: Counter<L>) {
        this.reset();
        for (const [label, count] of read()) {
          this.inc({ [labelName]: String(label) } as Record<L, string>, count);
        }
      },
    });

  fromCounts(
    'whatsapp_clicks_webhook_requests_total',
    'Webhook POSTs, by the HTTP status they were answered with.',
    'status',
    () => counters.answerCounts(),
  );
  fromCounts('whatsapp_clicks_actions_total', 'Click actions, by outcome.', 'outcome', () => {
    const counts = counters.snapshot();
    return [
      ['stored', counts.stored],
      ['duplicate', counts.duplicates],
      ['rejected', counts.rejectedActions],
    ];
  });
  new prom.Counter({
    name: fresh('whatsapp_clicks_ignored_total'),
    help: 'Signed deliveries (or changes) of other fields or objects: messages, statuses...',
    registers,
    collect(this: Counter) {
      this.reset();
      this.inc(counters.snapshot().ignored);
    },
  });
  new prom.Counter({
    name: fresh('whatsapp_clicks_rejected_bodies_total'),
    help: 'Signed webhook bodies that were not JSON (answered 400, kept as rejected).',
    registers,
    collect(this: Counter) {
      this.reset();
      this.inc(counters.snapshot().rejectedBodies);
    },
  });
  fromCounts(
    'whatsapp_clicks_unknown_action_types_total',
    'New clicks of action types Meta does not document, by type.',
    'action_type',
    () => counters.unknownActionTypes(),
  );
  fromCounts(
    'whatsapp_clicks_unknown_fields_total',
    'New clicks carrying fields this version does not know (kept in "extra"), by field.',
    'field',
    () => counters.unknownFields(),
  );
  fromCounts(
    'whatsapp_clicks_retention_deleted_total',
    'Rows deleted by retention, by table.',
    'table',
    () => retention.deletedCounts(),
  );
  new prom.Gauge({
    name: fresh('whatsapp_clicks_live_subscriptions'),
    help: 'Live subscriptions (graphql-ws) open in this process.',
    registers,
    collect(this: Gauge) {
      this.set(live.count);
    },
  });
  new prom.Gauge({
    name: fresh('whatsapp_clicks_scans_waiting'),
    help: 'Reads that scan clicks (not rollups) waiting for their turn in this process.',
    registers,
    collect(this: Gauge) {
      this.set(scans.queued);
    },
  });
  new prom.Gauge({
    name: fresh('whatsapp_clicks_funnel_queued'),
    help: 'Rows stored but not yet counted into the funnel rollups (all instances).',
    registers,
    async collect(this: Gauge) {
      const queued = await funnel.queued().catch(() => null);
      if (queued !== null) this.set(queued);
    },
  });
  if (folding.folds) {
    new prom.Gauge({
      name: fresh('whatsapp_clicks_rollup_deltas'),
      help: 'PostgreSQL: rollup deltas not yet folded into the rollups (all instances); it grows while no instance folds.',
      registers,
      async collect(this: Gauge) {
        const pending = await folding.pending().catch(() => null);
        if (pending !== null) this.set(pending);
      },
    });
  }
  if (outbox.states().some((state) => state.target === 'forward')) {
    new prom.Gauge({
      name: fresh('whatsapp_clicks_forward_pending'),
      help: 'Clicks stored but not yet forwarded to the broker (all instances).',
      registers,
      async collect(this: Gauge) {
        // A database that does not answer keeps the last value; /health says why.
        const pending = await outbox.pending().catch(() => null);
        if (pending) this.set(pending.forward);
      },
    });
  }
  if (config.reconciliation) {
    new prom.Gauge({
      name: fresh('whatsapp_clicks_reconciliation_drift'),
      help: "Meta's CTA clicks minus those stored, over the settled days of the last check, by account.",
      labelNames: ['business_account_id'],
      registers,
      collect(this: Gauge) {
        for (const [account, drift] of reconciliation.settledDrift()) {
          this.set({ business_account_id: account }, drift);
        }
      },
    });
  }
  const duration = new prom.Histogram({
    name: fresh('whatsapp_clicks_ingest_duration_seconds'),
    help: 'Time from a signed webhook body to its answer (parse, store, commit), per delivery.',
    buckets: DURATION_BUCKETS,
    registers,
  });
  return { observeIngest: (seconds) => duration.observe(seconds) };
}
