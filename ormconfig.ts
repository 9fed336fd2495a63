import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, DEFAULT_DATABASE_URL } from './server/server-config.js';

/**
 * The data source of TypeORM's migration CLI (`npm run migration:run`, `migration:show`), on the
 * same DATABASE_URL as `npm start`. The standalone server also runs these migrations at start.
 */
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL || DEFAULT_DATABASE_URL));
