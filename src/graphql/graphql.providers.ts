import type { Provider } from '@nestjs/common';
import { ArchivedDeliveriesResolver } from './archived-deliveries.resolver.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickAccountsResolver } from './click-accounts.resolver.js';
import { ClickFunnelResolver } from './click-funnel.resolver.js';
import { ClickReconciliationResolver } from './click-reconciliation.resolver.js';
import { ClickEventConnectionResolver, ClickEventsResolver } from './click-events.resolver.js';
import { ClickStatsResolver } from './click-stats.resolver.js';
import { ClickSubscriptionsResolver } from './click-subscriptions.resolver.js';
import { GraphQLSetupCheck } from './graphql-setup.check.js';
import { QueryLimitsPlugin } from './query-limits.plugin.js';
import { RejectedDeliveriesResolver } from './rejected-deliveries.resolver.js';

/** What `graphql: true` adds: resolvers, the query-limits plugin and the start-up check. */
export const GRAPHQL_PROVIDERS: Provider[] = [
  ClickAccessPolicy,
  ClickEventsResolver,
  ClickEventConnectionResolver,
  ClickStatsResolver,
  ClickFunnelResolver,
  ClickAccountsResolver,
  ClickReconciliationResolver,
  ClickSubscriptionsResolver,
  RejectedDeliveriesResolver,
  ArchivedDeliveriesResolver,
  QueryLimitsPlugin,
  GraphQLSetupCheck,
];
