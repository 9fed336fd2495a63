import type { ApolloServerPlugin } from '@apollo/server';
import { GRAPHIQL_ASSETS_PATH } from './graphiql-assets.controller.js';

const DEFAULT_QUERY = `# Clicks on WhatsApp marketing messages. Set your account id below.
# With CLICKS_API_KEYS set, put your key in Headers:
#   { "Authorization": "Bearer <key>" }

query RecentClicks($account: ID! = "102290129340398") {
  clickEvents(businessAccountId: $account, first: 10) {
    totalCount
    edges { node { id clickComponent productId clickId occurredAt } }
  }
  clickStats(businessAccountId: $account) {
    total
    byComponent { key count }
    byProduct(limit: 5) { key count }
  }
}
`;

/**
 * GraphiQL as Apollo's landing page at GET /graphql, with every file served locally. The
 * fetcher sends the Headers editor's headers over HTTP and as graphql-ws connectionParams.
 */
export function graphiqlLandingPage(): ApolloServerPlugin {
  const assets = `/${GRAPHIQL_ASSETS_PATH}`;
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>WhatsApp clicks · GraphiQL</title>
  <link rel="stylesheet" href="${assets}/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${assets}/react.production.min.js"></script>
  <script src="${assets}/react-dom.production.min.js"></script>
  <script src="${assets}/graphiql.min.js"></script>
  <script>
    const url = new URL(location.pathname, location.href).href;
    const subscriptionUrl = url.replace(/^http/, 'ws');
    const fetchers = new Map();
    function fetcher(params, options) {
      const headers = (options && options.headers) || {};
      const key = JSON.stringify(headers);
      if (!fetchers.has(key)) {
        fetchers.set(key, GraphiQL.createFetcher({ url, subscriptionUrl, headers, wsConnectionParams: headers }));
      }
      return fetchers.get(key)(params, options);
    }
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
        shouldPersistHeaders: true,
      }),
    );
  </script>
</body>
</html>`;
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
