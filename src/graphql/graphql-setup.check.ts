import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';

/**
 * Fails the start, saying what to add, when `graphql: true` has nowhere to go: no GraphQLModule
 * in the app, or one whose schema left the module's resolvers out (its `include` option).
 * Otherwise the app would start with no click API and say nothing.
 */
@Injectable()
export class GraphQLSetupCheck implements OnApplicationBootstrap {
  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    let host: GraphQLSchemaHost;
    try {
      host = this.moduleRef.get(GraphQLSchemaHost, { strict: false });
    } catch {
      throw new WhatsAppClicksConfigError(
        'WhatsAppClicksModule: graphql: true, but the app has no GraphQLModule: import ' +
          "GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, subscriptions: { 'graphql-ws': true } })",
      );
    }
    if (!host.schema.getQueryType()?.getFields().clickEvents) {
      throw new WhatsAppClicksConfigError(
        "WhatsAppClicksModule: graphql: true, but the app's GraphQL schema has no clickEvents: " +
          "if the GraphQLModule's `include` option lists modules, add WhatsAppClicksModule",
      );
    }
  }
}
