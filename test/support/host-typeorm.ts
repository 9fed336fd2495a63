import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClickEvent, RejectedDelivery, whatsAppClicksMigrations } from '../../src/index.js';

/** A host's TypeORM connection to SQLite (a file, or memory) with the module's migrations run. */
export function hostTypeOrm(database = ':memory:'): DynamicModule {
  return TypeOrmModule.forRoot({
    type: 'better-sqlite3',
    database,
    entities: [ClickEvent, RejectedDelivery],
    migrations: whatsAppClicksMigrations,
    migrationsRun: true,
  });
}
