// The live dashboard: plain browser JavaScript, no build step. It reads the GraphQL API with the
// viewer's key, shows it through `dashboard-view.js` (window.clicksDashboardView) and follows
// new clicks over graphql-ws (window.graphqlWs), resuming from the last click's cursor after
// every reconnect.
(() => {
  'use strict';

  const root = document.getElementById('dashboard');
  const graphqlUrl = new URL(root.dataset.graphql, location.href).href;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const KEY_ITEM = 'whatsapp-clicks.key';
  const LATEST = 20;
  const STEPS = ['sent', 'click', 'landing_page_view', 'purchase'];
  const $ = (id) => document.getElementById(id);
  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;

  const CLICK_FIELDS = 'id cursor occurredAt actionType clickComponent productId clickId';
  const ACCOUNTS = '{ clickAccounts { businessAccountId total lastClickAt } }';
  const SUMMARY = `query Summary($a: ID!) {
    clickStats(businessAccountId: $a) { total byComponent { key count } byProduct(limit: 10) { key count } }
    clickEvents(businessAccountId: $a, first: ${LATEST}) { edges { node { ${CLICK_FIELDS} } } }
  }`;
  // Read apart and less often: the funnel reads the clicks (no rollups yet), the rest counts.
  const FUNNEL = `query Funnel($a: ID!, $steps: [String!]!) {
    clickFunnel(businessAccountId: $a, steps: $steps) { steps { name count rate } }
  }`;
  const SERIES = `query Series($a: ID!, $from: DateTime!, $to: DateTime!, $interval: StatsInterval!, $zone: String!) {
    clickStats(businessAccountId: $a, filter: { from: $from, to: $to }) {
      timeseries(interval: $interval, timezone: $zone) { start count }
    }
  }`;
  const LIVE = `subscription Live($a: ID!, $after: String) {
    clickEventReceived(businessAccountId: $a, after: $after) { ${CLICK_FIELDS} }
  }`;

  const { render: show, forget, toSeries, count, bump } = window.clicksDashboardView;

  const state = {
    key: localStorage.getItem(KEY_ITEM) || '',
    account: null,
    view: 'day',
    summary: null,
    minutes: null,
    range: null,
    cursor: null,
    seen: new Set(),
    client: null,
    stop: null,
    // Which following is the current one: a subscription of an earlier one (ended by a new
    // account or key, which completes it) must not retry, nor count what it still brings.
    following: 0,
    retryMs: 500,
    refresh: null,
    // Loads in flight, and the live clicks that came meanwhile: a load's answers may predate them.
    loading: 0,
    arrived: [],
  };

  const render = () => show(state, zone);

  async function ask(query, variables) {
    const headers = { 'content-type': 'application/json' };
    if (state.key) headers.authorization = `Bearer ${state.key}`;
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const answer = await response.json();
    if (answer.errors && answer.errors.length > 0) {
      throw new Error(answer.errors.map((error) => error.message).join('; '));
    }
    return answer.data;
  }

  function say(text) {
    $('message').hidden = !text;
    $('message').textContent = text || '';
  }

  function setStatus(text) {
    $('status').textContent = text;
    $('status').dataset.state = text;
  }

  function rangeWindow() {
    const now = new Date();
    if (state.view === 'day') {
      const hour = new Date(now);
      hour.setMinutes(0, 0, 0);
      return { from: hour.getTime() - 23 * HOUR, to: hour.getTime() + HOUR, interval: 'HOUR' };
    }
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6);
    const to = new Date(midnight.getFullYear(), midnight.getMonth(), midnight.getDate() + 1);
    return { from: from.getTime(), to: to.getTime(), interval: 'DAY' };
  }

  async function series(account, { from, to, interval }) {
    const data = await ask(SERIES, {
      a: account,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      interval,
      zone,
    });
    return toSeries(data.clickStats.timeseries, to);
  }

  /**
   * Everything again from the API (the numbers shown are the API's); the funnel only with
   * `funnel` (on opening, after a reconnect and every minute, not after each live click).
   */
  async function load(account, { funnel = true } = {}) {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    const mark = state.arrived.length;
    state.loading += 1;
    let answers;
    try {
      answers = await Promise.all([
        ask(SUMMARY, { a: account }),
        series(account, { from: minute - 59 * MINUTE, to: minute + MINUTE, interval: 'MINUTE' }),
        series(account, rangeWindow()),
        funnel || !state.summary
          ? ask(FUNNEL, { a: account, steps: STEPS }).then((d) => d.clickFunnel.steps)
          : Promise.resolve(state.summary.funnel),
      ]);
    } finally {
      state.loading -= 1;
    }
    const came = state.arrived.slice(mark);
    if (state.loading === 0) state.arrived = [];
    if (account !== state.account) return;
    const [data, minutes, range, steps] = answers;
    const latest = data.clickEvents.edges.map((edge) => edge.node);
    state.summary = { stats: data.clickStats, funnel: steps, latest };
    state.minutes = minutes;
    state.range = range;
    for (const click of latest) state.seen.add(click.id);
    // A live click that came during the load and is not among the newest clicks it read was
    // most likely stored after it read: add it again rather than let it vanish, and read once
    // more soon, which settles either way.
    const read = new Set(latest.map((click) => click.id));
    const later = came.filter((click) => !read.has(click.id));
    for (const click of later) add(click);
    if (later.length > 0) refreshSoon();
    if (state.cursor === null && latest.length > 0) {
      // Resume after the newest stored of those shown: everything later comes live.
      const newest = latest.reduce((a, b) => (BigInt(b.id) > BigInt(a.id) ? b : a));
      state.cursor = newest.cursor;
    }
    say('');
    render();
    // How many loads were shown: what a test can wait for.
    root.dataset.loaded = String(Number(root.dataset.loaded || 0) + 1);
  }

  function refreshSoon() {
    clearTimeout(state.refresh);
    const account = state.account;
    state.refresh = setTimeout(
      () => load(account, { funnel: false }).catch((error) => say(error.message)),
      1500,
    );
  }

  function received(click) {
    state.cursor = click.cursor;
    // How many clicks the stream brought, repeats included: what a test can count.
    root.dataset.streamed = String(Number(root.dataset.streamed || 0) + 1);
    if (state.seen.has(click.id)) return;
    // Only a seam can repeat a click (the page read, then the stream): a bound keeps it small.
    if (state.seen.size > 10_000) state.seen.clear();
    state.seen.add(click.id);
    // (Bounded: a load that hangs must not keep every click.)
    if (state.loading > 0 && state.arrived.length < 10_000) state.arrived.push(click);
    add(click);
    render();
    refreshSoon();
  }

  /** One more click in what is shown. */
  function add(click) {
    const summary = state.summary;
    if (summary) {
      summary.stats.total += 1;
      bump(summary.stats.byComponent, click.clickComponent);
      bump(summary.stats.byProduct, click.productId);
      summary.latest = [click, ...summary.latest]
        .sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt))
        .slice(0, LATEST);
    }
    count(state.minutes, click.occurredAt);
    count(state.range, click.occurredAt);
  }

  function client() {
    if (state.client) return state.client;
    state.client = graphqlWs.createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      connectionParams: () => (state.key ? { authorization: `Bearer ${state.key}` } : {}),
      lazy: true,
      // Kept open while the page switches accounts (one subscription ends, the next starts).
      lazyCloseTimeout: 3_000,
      retryAttempts: 0,
      on: {
        connected: () => setStatus('live'),
        closed: () => setStatus('reconnecting…'),
      },
    });
    return state.client;
  }

  /** Ends the current following, whatever its subscription does next. */
  function stopFollowing() {
    state.following += 1;
    if (state.stop) state.stop();
    state.stop = null;
    return state.following;
  }

  function follow(account, following) {
    // Every change of account goes through open(), which starts a new following.
    const current = () => following === state.following;
    if (!current()) return;
    const variables = { a: account };
    if (state.cursor) variables.after = state.cursor;
    const again = (error) => {
      if (!current()) return;
      if (Array.isArray(error)) {
        // The API refused the subscription (its cursor's click was deleted by retention, say):
        // follow from now, and read the rest again.
        say(error.map((e) => e.message).join('; '));
        state.cursor = null;
      }
      setStatus('reconnecting…');
      setTimeout(() => {
        if (!current()) return;
        follow(account, following);
        refreshSoon();
      }, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 5000);
    };
    state.stop = client().subscribe(
      { query: LIVE, variables },
      {
        next: (result) => {
          if (!current()) return;
          state.retryMs = 500;
          if (result.errors) say(result.errors.map((e) => e.message).join('; '));
          if (result.data) received(result.data.clickEventReceived);
        },
        error: again,
        complete: () => again(),
      },
    );
  }

  async function open(account) {
    const following = stopFollowing();
    state.account = account;
    state.cursor = null;
    state.seen.clear();
    state.summary = null;
    location.hash = `account=${encodeURIComponent(account)}`;
    await load(account);
    follow(account, following);
  }

  async function start() {
    say('');
    setStatus('connecting…');
    $('key').value = state.key;
    let accounts;
    try {
      accounts = (await ask(ACCOUNTS)).clickAccounts;
    } catch (error) {
      setStatus('offline');
      say(`${error.message}. Enter an API key above.`);
      return;
    }
    const select = $('account');
    select.replaceChildren(
      ...accounts.map(
        (a) => new Option(`${a.businessAccountId} (${a.total})`, a.businessAccountId),
      ),
    );
    if (accounts.length === 0)
      return say('No clicks stored yet for the accounts this key may read.');
    const wanted = new URLSearchParams(location.hash.slice(1)).get('account');
    const account = accounts.some((a) => a.businessAccountId === wanted)
      ? wanted
      : accounts[0].businessAccountId;
    select.value = account;
    await open(account);
  }

  $('account').addEventListener('change', (event) => {
    open(event.target.value).catch((error) => say(error.message));
  });
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.key = $('key').value.trim();
    localStorage.setItem(KEY_ITEM, state.key);
    stopFollowing();
    if (state.client) state.client.dispose();
    state.client = null;
    start().catch((error) => say(error.message));
  });
  for (const view of ['day', 'week']) {
    $(`view-${view}`).addEventListener('click', () => {
      state.view = view;
      $('range-name').textContent = view;
      $('view-day').setAttribute('aria-pressed', String(view === 'day'));
      $('view-week').setAttribute('aria-pressed', String(view === 'week'));
      forget('range-chart');
      if (state.account) load(state.account).catch((error) => say(error.message));
    });
  }
  // The last hour moves on: read it again every minute.
  setInterval(() => state.account && load(state.account).catch((e) => say(e.message)), MINUTE);
  start().catch((error) => say(error.message));
})();
