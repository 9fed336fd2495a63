import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ClickEvent } from '../../src/storage/click-event.entity.js';
import { whatsAppClicksMigrations } from '../../src/storage/migrations/index.js';
import { RejectedDelivery } from '../../src/storage/rejected-delivery.entity.js';
import type { TestDatabase } from './databases.js';

/** A TypeORM data source on a test database, with the module's entities, migrated. */
export async function migratedDataSource(db: TestDatabase): Promise<DataSource> {
  const dataSource = new DataSource({
    ...(db.kind === 'sqlite'
      ? { type: 'better-sqlite3' as const, database: db.url.slice('sqlite:'.length) }
      : { type: 'postgres' as const, url: db.url }),
    entities: [ClickEvent, RejectedDelivery],
    migrations: whatsAppClicksMigrations,
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}
