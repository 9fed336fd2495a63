import type { Provider } from '@nestjs/common';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickEventConnectionResolver, ClickEventsResolver } from './click-events.resolver.js';
import { ClickStatsResolver } from './click-stats.resolver.js';
import { QueryLimitsPlugin } from './query-limits.plugin.js';

/** What `graphql: true` adds to the module: resolvers the host's GraphQLModule picks up. */
export const GRAPHQL_PROVIDERS: Provider[] = [
  ClickAccessPolicy,
  ClickEventsResolver,
  ClickEventConnectionResolver,
  ClickStatsResolver,
  QueryLimitsPlugin,
];
