import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { DataSource } from 'typeorm';

/** The database file of a better-sqlite3 data source; null for anything else or in memory. */
export function sqliteFile(dataSource: DataSource): string | null {
  const options = dataSource.options;
  if (options.type !== 'better-sqlite3') return null;
  const database = options.database;
  if (!database || database === ':memory:' || database.startsWith('file::memory:')) return null;
  return resolve(database);
}

/** better-sqlite3 as TypeORM loads it (from TypeORM's own place in node_modules). */
export function betterSqlitePath(): string {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('typeorm')).resolve('better-sqlite3');
}
