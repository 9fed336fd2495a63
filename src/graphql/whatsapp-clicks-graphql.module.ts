import { type DynamicModule, Module } from '@nestjs/common';
import { createDashboardController } from '../dashboard/dashboard.controller.js';
import { GraphiqlAssetsController } from '../ide/graphiql-assets.controller.js';
import { GraphiqlLandingPagePlugin } from '../ide/graphiql-landing-page.plugin.js';
import type { GraphQLParts } from './graphql.loader.js';
import { GRAPHQL_PROVIDERS } from './graphql.providers.js';

/** The module's GraphQL API, on the same core as its webhook (see graphql.loader.ts). */
@Module({})
export class WhatsAppClicksGraphQLModule {
  static register(core: DynamicModule, { ide, dashboard }: GraphQLParts): DynamicModule {
    return {
      module: WhatsAppClicksGraphQLModule,
      imports: [core],
      controllers: [
        ...(ide ? [GraphiqlAssetsController] : []),
        ...(dashboard ? [createDashboardController(dashboard.path, dashboard.graphqlPath)] : []),
      ],
      providers: [...GRAPHQL_PROVIDERS, ...(ide ? [GraphiqlLandingPagePlugin] : [])],
    };
  }
}
