import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WhatsAppClicksModule } from '../src/index.js';
import { apiKeyAuthorizer } from './api-keys.js';
import { HttpDrain } from './graceful-shutdown.js';
import { hideInternalError } from './internal-errors.js';
import { socketGuard } from './socket-guard.js';
import { createPubSub, PubSubCloser } from './redis-pubsub.js';
import { dataSourceOptions, type ServerConfig } from './server-config.js';

/** The standalone server: one host of the module like any other. */
@Module({})
export class AppModule {
  /** @param providers more of the host's own (tests add handlers this way) */
  static register(config: ServerConfig, providers: Provider[] = []): DynamicModule {
    const pubSub = createPubSub(config.redisUrl);
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
          subscriptions: {
            'graphql-ws': socketGuard(config.apiKeys, config.anonymous, config.socketLimits),
          },
          // A failure of the server's own (a database error, say) is logged, and reaches the
          // caller without its message: it may name tables, hosts or values.
          formatError: (formatted, error) => hideInternalError(formatted, error),
          // What the API-key authorizer reads, from an HTTP request (Fastify hands the request
          // itself) or a graphql-ws connection (its connectionParams).
          context: (arg: { req?: unknown; connectionParams?: unknown }) =>
            'connectionParams' in arg
              ? { connectionParams: arg.connectionParams ?? {} }
              : { req: arg.req ?? arg },
        }),
        WhatsAppClicksModule.forRoot({
          appSecret: config.appSecrets,
          verifyToken: config.verifyToken,
          bodyLimit: config.bodyLimit,
          authorize: apiKeyAuthorizer(config.apiKeys, config.anonymous),
          ...(pubSub ? { pubSub } : {}),
          subscriptionBuffer: config.subscriptionBuffer,
          storageTimeout: config.storageTimeoutMs,
          ...(config.forwardUrl ? { forward: config.forwardUrl } : {}),
          outbox: { leaseMs: config.outboxLeaseMs },
          graphql: true,
          ide: true,
        }),
      ],
      providers: [
        { provide: PubSubCloser, useValue: new PubSubCloser(pubSub) },
        HttpDrain,
        ...providers,
      ],
    };
  }
}
