// A host application as a user writes one: its own TypeORM data source (named, with an entity
// of its own), its own config, and the module imported through the package entry.
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable, Module } from '@nestjs/common';
import { GraphQLModule, Int, Query, Resolver } from '@nestjs/graphql';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  CLICK_EVENT_RECEIVED,
  ClickEvent,
  ClickEventReceived,
  OnClickEvent,
  RejectedDelivery,
  whatsAppClicksMigrations,
  WhatsAppClicksModule,
} from 'nestjs-whatsapp-clicks';

export const HOST_DATA_SOURCE = 'analytics';

@Entity({ name: 'host_notes' })
export class HostNote {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar' })
  text!: string;
}

@Injectable()
export class HostSettings {
  constructor(
    readonly databaseFile: string,
    readonly appSecret: string,
    readonly verifyToken: string,
  ) {}
}

/** The host's own reaction to clicks. */
@Injectable()
export class ClickCollector {
  readonly received: ClickEventReceived[] = [];

  @OnClickEvent()
  onClick(event: ClickEventReceived): void {
    this.received.push(event);
  }
}

/** A handler that always throws: it must neither fail the webhook nor the other handlers. */
@Injectable()
export class FailingHandler {
  calls = 0;

  @OnClickEvent()
  async onClick(): Promise<void> {
    this.calls += 1;
    throw new Error('host handler failed on purpose');
  }
}

/** A plain synchronous @OnEvent handler that throws, with Nest's error suppression off. */
@Injectable()
export class ThrowingSyncHandler {
  calls = 0;

  @OnEvent(CLICK_EVENT_RECEIVED, { suppressErrors: false })
  onClick(): void {
    this.calls += 1;
    throw new Error('sync host handler failed on purpose');
  }
}

/** A handler that takes its time: the webhook must answer without waiting for it. */
@Injectable()
export class SlowHandler {
  readonly finished: string[] = [];
  delayMs = 1500;

  @OnClickEvent()
  async onClick(event: ClickEventReceived): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.finished.push(event.clickEvent.id);
  }
}

/** The host's own GraphQL, beside the module's queries in one schema. */
@Resolver()
export class HostNotesResolver {
  constructor(
    @InjectRepository(HostNote, HOST_DATA_SOURCE) private readonly notes: Repository<HostNote>,
  ) {}

  @Query(() => Int)
  hostNoteCount(): Promise<number> {
    return this.notes.count();
  }
}

@Module({
  providers: [
    {
      provide: HostSettings,
      useFactory: () =>
        new HostSettings(process.env.HOST_DB_FILE!, 'host-app-secret', 'host-verify-token'),
    },
  ],
  exports: [HostSettings],
})
export class HostConfigModule {}

@Module({
  imports: [
    HostConfigModule,
    EventEmitterModule.forRoot(),
    TypeOrmModule.forRootAsync({
      name: HOST_DATA_SOURCE,
      imports: [HostConfigModule],
      inject: [HostSettings],
      useFactory: (settings: HostSettings) => ({
        type: 'better-sqlite3',
        database: settings.databaseFile,
        entities: [HostNote, ClickEvent, RejectedDelivery],
        // The host syncs its own tables in development; ours come from our migrations.
        synchronize: true,
        migrations: whatsAppClicksMigrations,
        migrationsRun: true,
      }),
    }),
    TypeOrmModule.forFeature([HostNote], HOST_DATA_SOURCE),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      graphiql: false,
      // The host's own context: who is calling, from its own header.
      context: ({ req }: { req: { headers: Record<string, string | undefined> } }) => ({
        tenant: req.headers['x-tenant'],
      }),
    }),
    WhatsAppClicksModule.forRootAsync({
      imports: [HostConfigModule],
      inject: [HostSettings],
      useFactory: (settings: HostSettings) => ({
        appSecret: settings.appSecret,
        verifyToken: settings.verifyToken,
        authorize: (context: unknown, account: string) => {
          const tenant = (context as { tenant?: string }).tenant;
          return tenant === undefined ? 'unauthenticated' : tenant === account;
        },
      }),
      dataSourceName: HOST_DATA_SOURCE,
      webhookPath: 'hooks/meta',
      graphql: true,
    }),
  ],
  providers: [ClickCollector, ThrowingSyncHandler, FailingHandler, SlowHandler, HostNotesResolver],
})
export class HostAppModule {}
