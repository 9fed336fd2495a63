import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ClickEvent } from '../../src/storage/click-event.entity.js';
import { whatsAppClicksMigrations } from '../../src/storage/migrations/index.js';
import { RejectedDelivery } from '../../src/storage/rejected-delivery.entity.js';

/** SQLite in memory with the module's entities and every migration run: for unit specs. */
export async function migratedMemorySqlite(): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: ':memory:',
    entities: [ClickEvent, RejectedDelivery],
    migrations: whatsAppClicksMigrations,
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}
