import { CreateClickTables1763730000000 } from './1763730000000-create-click-tables.js';

/** The module's migrations, oldest first: add them to the host's data source `migrations`. */
export const whatsAppClicksMigrations = [CreateClickTables1763730000000];
