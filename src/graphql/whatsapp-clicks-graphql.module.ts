import { type DynamicModule, Module } from '@nestjs/common';
import { GraphiqlAssetsController } from '../ide/graphiql-assets.controller.js';
import { GraphiqlLandingPagePlugin } from '../ide/graphiql-landing-page.plugin.js';
import { GRAPHQL_PROVIDERS } from './graphql.providers.js';

/** The module's GraphQL API, on the same core as its webhook (see graphql.loader.ts). */
@Module({})
export class WhatsAppClicksGraphQLModule {
  static register(core: DynamicModule, { ide }: { ide: boolean }): DynamicModule {
    return {
      module: WhatsAppClicksGraphQLModule,
      imports: [core],
      controllers: ide ? [GraphiqlAssetsController] : [],
      providers: [...GRAPHQL_PROVIDERS, ...(ide ? [GraphiqlLandingPagePlugin] : [])],
    };
  }
}
