/**
 * What the operations issue added to each webhook, timed alone, against the whole ingest of a
 * single-action delivery in the same process and run (the baseline): the answer-status counter,
 * the histogram observation (prom-client) with its two clock reads, the unknown-names count and
 * the debug-level check. `npm run bench:profile` sees the same work among 100 µs of noise; this
 * measures it without the noise.
 *
 *   npm run bench:metrics
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../server/create-server.js';
import { loadServerConfig } from '../server/server-config.js';
import { ClickIngestService } from '../src/ingest/click-ingest.service.js';
import { IngestCounters } from '../src/ingest/ingest-counters.js';
import { type ClickMetrics, WHATSAPP_CLICKS_METRICS } from '../src/metrics/click-metrics.js';
import type { ClickEvent } from '../src/storage/click-event.entity.js';
import { sampleClickAction, sampleClickDelivery } from '../src/testing/click-payloads.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20_000);
const ROUNDS = 3;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clicks-metrics-cost-'));
  const app = await createServer(
    loadServerConfig({ DATABASE_URL: `sqlite:${join(dir, 'clicks.sqlite')}` }),
    { logger: false },
  );
  await app.init();
  try {
    const ingest = app.get(ClickIngestService);
    const counters = app.get(IngestCounters);
    const metrics = app.get<ClickMetrics>(WHATSAPP_CLICKS_METRICS);
    let n = 0;
    const body = () =>
      Buffer.from(
        JSON.stringify(
          sampleClickDelivery({ actions: [sampleClickAction({ click_id: `m-${n++}` })] }),
        ),
      );
    const click = { actionType: 'marketing_messages_link_click', extra: null } as ClickEvent;

    const rows: string[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const bodies = Array.from({ length: RUNS }, body);
      let started = performance.now();
      for (const delivery of bodies) await ingest.ingest(delivery);
      const whole = ((performance.now() - started) * 1000) / RUNS;

      started = performance.now();
      for (let i = 0; i < RUNS; i++) {
        const begun = performance.now();
        counters.answered(200);
        counters.noteUnknown([click]);
        if (Logger.isLevelEnabled('debug')) throw new Error('debug is off here');
        metrics.observeIngest((performance.now() - begun) / 1000);
      }
      const added = ((performance.now() - started) * 1000) / RUNS;
      rows.push([
        String(round),
        whole.toFixed(1),
        added.toFixed(2),
        `${((added / whole) * 100).toFixed(2)} %`,
      ]);
    }
    console.log(
      `\nPer single-action webhook, SQLite, in one process, ${RUNS.toLocaleString('en')} each, node ${process.version}\n`,
    );
    console.log('| round | whole ingest µs (baseline) | what operations added µs | share |');
    console.log('| ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
