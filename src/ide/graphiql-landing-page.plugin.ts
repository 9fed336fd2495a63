import type { ApolloServerPlugin, GraphQLServerListener } from '@apollo/server';
import { Plugin } from '@nestjs/apollo';
import { GRAPHIQL_ASSETS_PATH } from './graphiql-assets.controller.js';

const DEFAULT_QUERY = `# Clicks on WhatsApp marketing messages. Set your account id below.
# When the API asks for a key, put it in Headers:
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

/**
 * GraphiQL as Apollo's landing page at GET on the GraphQL path (`ide: true`), with every file
 * served locally, so it loads with no internet. The fetcher sends the Headers editor's headers
 * over HTTP and as graphql-ws connectionParams. `@nestjs/apollo` finds it in the module.
 */
@Plugin()
export class GraphiqlLandingPagePlugin implements ApolloServerPlugin {
  async serverWillStart(): Promise<GraphQLServerListener> {
    return {
      async renderLandingPage() {
        return { html };
      },
    };
  }
}
