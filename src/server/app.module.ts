import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WhatsAppClicksModule } from '../whatsapp-clicks.module.js';
import { apiKeyAuthorizer } from './api-keys.js';
import { GraphiqlAssetsController } from './graphiql-assets.controller.js';
import { graphiqlLandingPage } from './graphiql-landing-page.plugin.js';
import { dataSourceOptions, type ServerConfig } from './server-config.js';

/** The standalone server: one host of the module like any other. */
@Module({})
export class AppModule {
  static register(config: ServerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), migrationsRun: true }),
        EventEmitterModule.forRoot(),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: false,
          introspection: true,
          plugins: [graphiqlLandingPage()],
        }),
        WhatsAppClicksModule.forRoot({
          appSecret: config.appSecret,
          verifyToken: config.verifyToken,
          bodyLimit: config.bodyLimit,
          authorize: apiKeyAuthorizer(config.apiKeys, config.anonymous),
          graphql: true,
        }),
      ],
      controllers: [GraphiqlAssetsController],
    };
  }
}
