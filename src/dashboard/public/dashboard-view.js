// The dashboard's view: the tables and charts, drawn from the state `dashboard.js` keeps. Plain
// browser JavaScript, no build step; uPlot (window.uPlot) draws the charts. Loaded before
// `dashboard.js`, which it serves as window.clicksDashboardView.
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);

  /** Rows of a table body, every cell as text (never HTML: keys come from webhooks). */
  function fill(id, rows) {
    const body = $(id).tBodies[0];
    body.replaceChildren(
      ...rows.map((cells) => {
        const row = document.createElement('tr');
        for (const cell of cells) {
          const td = document.createElement('td');
          td.textContent = cell === null || cell === undefined ? '—' : String(cell);
          row.append(td);
        }
        return row;
      }),
    );
  }

  const when = (iso) => new Date(iso).toLocaleString();
  const percent = (rate) => (rate === null ? '—' : `${(rate * 100).toFixed(1)} %`);

  function render(state, zone) {
    const summary = state.summary;
    if (!summary) return;
    $('total').textContent = String(summary.stats.total);
    $('zone').textContent = zone;
    fill(
      'products',
      summary.stats.byProduct.map((b) => [b.key ?? '(none)', b.count]),
    );
    fill(
      'components',
      summary.stats.byComponent.map((b) => [b.key ?? '(none)', b.count]),
    );
    fill(
      'funnel',
      summary.funnel.map((s) => [s.name, s.count, percent(s.rate)]),
    );
    fill(
      'latest',
      summary.latest.map((c) => [
        when(c.occurredAt),
        c.actionType,
        c.clickComponent,
        c.productId,
        c.clickId,
      ]),
    );
    if (state.minutes) {
      $('last-hour').textContent = String(state.minutes.counts.reduce((a, b) => a + b, 0));
      draw('minutes-chart', state.minutes);
    }
    if (state.range) draw('range-chart', state.range);
  }

  const charts = new Map();
  function draw(id, series) {
    const data = [series.starts.map((ms) => ms / 1000), series.counts];
    const existing = charts.get(id);
    if (existing) return existing.setData(data);
    const element = $(id);
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 180,
        legend: { show: false },
        series: [
          {},
          {
            label: 'clicks',
            fill: 'rgba(37, 211, 102, 0.5)',
            stroke: '#128c7e',
            paths: uPlot.paths.bars({ size: [0.8] }),
          },
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      data,
      element,
    );
    charts.set(id, chart);
  }

  /** Drops a chart, to draw it anew (its buckets changed). */
  function forget(id) {
    charts.get(id)?.destroy();
    charts.delete(id);
  }

  /** A timeseries as uPlot wants it, with the end of its last bucket. */
  const toSeries = (buckets, to) => ({
    starts: buckets.map((b) => Date.parse(b.start)),
    counts: buckets.map((b) => b.count),
    to,
  });

  function count(series, occurredAt) {
    if (!series) return;
    const t = Date.parse(occurredAt);
    if (t >= series.to) return;
    for (let i = series.starts.length - 1; i >= 0; i--) {
      if (t >= series.starts[i]) {
        series.counts[i] += 1;
        return;
      }
    }
  }

  function bump(buckets, key) {
    const bucket = buckets.find((b) => b.key === key);
    if (bucket) bucket.count += 1;
    else buckets.push({ key, count: 1 });
    buckets.sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
  }
  window.clicksDashboardView = { render, forget, toSeries, count, bump };
})();
