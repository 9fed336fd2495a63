import type { Provider } from '@nestjs/common';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickEventConnectionResolver, ClickEventsResolver } from './click-events.resolver.js';
import { ClickStatsResolver } from './click-stats.resolver.js';
import { ClickSubscriptionsResolver } from './click-subscriptions.resolver.js';
import { QueryLimitsPlugin } from './query-limits.plugin.js';

/** What `graphql: true` adds to the module: resolvers and a plugin the host's GraphQLModule picks up. */
export const GRAPHQL_PROVIDERS: Provider[] = [
  ClickAccessPolicy,
  ClickEventsResolver,
  ClickEventConnectionResolver,
  ClickStatsResolver,
  ClickSubscriptionsResolver,
  QueryLimitsPlugin,
];
