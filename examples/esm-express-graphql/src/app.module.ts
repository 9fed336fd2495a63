import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ClickEvent,
  RejectedDelivery,
  whatsAppClicksMigrations,
  WhatsAppClicksModule,
} from 'nestjs-whatsapp-clicks';
import { ClickLog, ClickLogController } from './click-log.js';
import { NotesController, NotesResolver } from './notes.js';

/** What the app's GraphQL context carries, from an HTTP request or a graphql-ws connection. */
interface GraphQLContext {
  token?: string;
}

function bearer(header: unknown): string | undefined {
  return typeof header === 'string' ? header.replace(/^Bearer\s+/i, '') : undefined;
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.DATABASE_FILE ?? 'clicks.sqlite',
      // WAL: statistics that scan clicks read on worker threads beside the writer.
      enableWAL: true,
      entities: [ClickEvent, RejectedDelivery],
      migrations: whatsAppClicksMigrations,
      migrationsRun: true,
    }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      subscriptions: { 'graphql-ws': true },
      // HTTP: { req }; graphql-ws: { connectionParams }.
      context: (ctx: {
        req?: { headers: Record<string, unknown> };
        connectionParams?: Record<string, unknown>;
      }): GraphQLContext => ({
        token: bearer(ctx.connectionParams?.authorization ?? ctx.req?.headers.authorization),
      }),
    }),
    WhatsAppClicksModule.forRoot({
      appSecret: process.env.WHATSAPP_APP_SECRET ?? '',
      verifyToken: process.env.WHATSAPP_VERIFY_TOKEN ?? '',
      authorize: (context: GraphQLContext) =>
        context.token === process.env.API_TOKEN ? true : 'unauthenticated',
      graphql: true,
      ide: true, // the offline GraphiQL IDE at GET /graphql
      dashboardPath: 'dashboard', // the live dashboard at GET /dashboard
    }),
  ],
  controllers: [ClickLogController, NotesController],
  providers: [ClickLog, NotesResolver],
})
export class AppModule {}
