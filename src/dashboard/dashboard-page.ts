/** Text safe inside an HTML attribute. */
const attribute = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The dashboard's page: a skeleton that `dashboard.js` fills in from the GraphQL API, with its
 * files under `/<path>/`. No data in it: what it shows, it reads with the viewer's API key.
 */
export function dashboardPage(path: string, graphqlPath: string): string {
  const assets = `/${path}`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>WhatsApp clicks · dashboard</title>
  <link rel="stylesheet" href="${assets}/uPlot.min.css">
  <link rel="stylesheet" href="${assets}/dashboard.css">
</head>
<body>
  <main id="dashboard" data-graphql="${attribute(graphqlPath)}">
    <header>
      <h1>WhatsApp clicks</h1>
      <label>Account <select id="account"></select></label>
      <form id="key-form"><label>API key <input id="key" type="password" autocomplete="off"></label><button type="submit">Use</button></form>
      <span id="status" class="status">connecting…</span>
    </header>
    <p id="message" class="message" hidden></p>
    <section class="cards">
      <div class="card"><h2>Clicks</h2><output id="total">–</output></div>
      <div class="card"><h2>Last hour</h2><output id="last-hour">–</output></div>
      <div class="card"><h2>Zone</h2><output id="zone">–</output></div>
    </section>
    <section class="panel"><h2>Clicks per minute, last hour</h2><div id="minutes-chart" class="chart"></div></section>
    <section class="panel">
      <h2>Clicks over the last <span id="range-name">day</span></h2>
      <div class="buttons"><button id="view-day" type="button" aria-pressed="true">Day</button><button id="view-week" type="button" aria-pressed="false">Week</button></div>
      <div id="range-chart" class="chart"></div>
    </section>
    <section class="columns">
      <div class="panel"><h2>Top products</h2><table id="products"><thead><tr><th>Product</th><th>Clicks</th></tr></thead><tbody></tbody></table></div>
      <div class="panel"><h2>Components</h2><table id="components"><thead><tr><th>Component</th><th>Clicks</th></tr></thead><tbody></tbody></table></div>
      <div class="panel"><h2>Funnel</h2><table id="funnel"><thead><tr><th>Step</th><th>Count</th><th>Rate</th></tr></thead><tbody></tbody></table></div>
    </section>
    <section class="panel"><h2>Latest clicks</h2>
      <table id="latest"><thead><tr><th>When</th><th>Type</th><th>Component</th><th>Product</th><th>Click id</th></tr></thead><tbody></tbody></table>
    </section>
  </main>
  <script src="${assets}/uPlot.iife.min.js"></script>
  <script src="${assets}/graphql-ws.min.js"></script>
  <script src="${assets}/dashboard-view.js"></script>
  <script src="${assets}/dashboard.js"></script>
</body>
</html>`;
}
