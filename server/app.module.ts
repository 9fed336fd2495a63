import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { GraphQLModule } from '@nestjs/graphql';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { WhatsAppClicksModule } from '../src/index.js';
import { adminKeyAuthorizer, apiKeyAuthorizer } from './api-keys.js';
import { HttpDrain } from './graceful-shutdown.js';
import { hideInternalError } from './internal-errors.js';
import { HealthController } from './operations/health.controller.js';
import { logModule } from './operations/logging.js';
import {
  METRICS_REGISTRY,
  METRICS_TOKEN,
  MetricsController,
} from './operations/metrics.controller.js';
import { createRedisLink, REDIS_LINK, RedisCloser } from './redis-pubsub.js';
import { dataSourceOptions, type ServerConfig } from './server-config.js';
import { OpenSockets, socketGuard } from './socket-guard.js';

/** The standalone server: one host of the module like any other. */
@Module({})
export class AppModule {
  /**
   * @param providers more of the host's own (tests add handlers this way)
   * @param logs JSON (or pretty) lines through pino; off when the caller gives Nest a logger
   */
  static register(config: ServerConfig, providers: Provider[] = [], logs = true): DynamicModule {
    const redis = createRedisLink(config.redisUrl);
    // Its own registry, not prom-client's global one: two servers in one process (tests) each
    // count their own.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const sockets = new OpenSockets();
    return {
      module: AppModule,
      imports: [
        ...(logs ? [logModule(config)] : []),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config.databaseUrl),
          migrationsRun: true,
          // main.ts waited for the database already; a stack per retry helps nobody.
          retryAttempts: 1,
        }),
        EventEmitterModule.forRoot(),
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: false,
          introspection: true,
          // No cache hints are set: Apollo's cache-control plugin would only wrap every field's
          // resolver (5,000 buckets of a timeseries, 10,000 wrapped calls) for nothing.
          plugins: [ApolloServerPluginCacheControlDisabled()],
          subscriptions: {
            'graphql-ws': socketGuard(
              config.apiKeys,
              config.anonymous,
              config.socketLimits,
              sockets,
            ),
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
          authorizeAdmin: adminKeyAuthorizer(config.adminKeys, config.apiKeys),
          ...(redis ? { pubSub: redis.pubSub } : {}),
          subscriptionBuffer: config.subscriptionBuffer,
          storageTimeout: config.storageTimeoutMs,
          scans: config.scans,
          ...(config.forwardUrl ? { forward: config.forwardUrl } : {}),
          outbox: { leaseMs: config.outboxLeaseMs },
          metrics: { registry },
          ...(config.retentionDays
            ? {
                retention: {
                  days: config.retentionDays,
                  perAccount: config.retentionByAccount,
                  rejectedDays: config.rejectedRetentionDays ?? config.retentionDays,
                },
              }
            : {}),
          ...(config.archive
            ? { archive: config.archive.days ? { days: config.archive.days } : true }
            : {}),
          ...(config.reconciliation ? { reconciliation: config.reconciliation } : {}),
          ...(config.conversions
            ? {
                conversions: config.conversions,
                conversionsPath: 'webhooks/whatsapp/conversions',
              }
            : {}),
          graphql: true,
          ide: true,
          dashboardPath: 'dashboard',
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: REDIS_LINK, useValue: redis },
        { provide: RedisCloser, useValue: new RedisCloser(redis) },
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: METRICS_TOKEN, useValue: config.metricsToken },
        { provide: OpenSockets, useValue: sockets },
        HttpDrain,
        ...providers,
      ],
    };
  }
}
