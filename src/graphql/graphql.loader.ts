import type { DynamicModule } from '@nestjs/common';
import { requirePackages } from '../optional/require-packages.js';

/** What `graphql: true` loads; each a peer dependency the host installs. */
const GRAPHQL_PACKAGES = [
  '@nestjs/graphql',
  '@nestjs/apollo',
  'graphql',
  'graphql-subscriptions',
  'graphql-query-complexity',
] as const;
/** What `ide: true` serves to browsers (never loaded by Node). */
const IDE_PACKAGES = ['graphiql', 'react', 'react-dom'] as const;
/** What the dashboard serves to browsers (never loaded by Node). */
const DASHBOARD_PACKAGES = ['uplot', 'graphql-ws'] as const;

export interface GraphQLParts {
  ide: boolean;
  dashboard: { path: string; graphqlPath: string } | null;
}

/**
 * The GraphQL part of the module, loaded only when `graphql: true`: the one file of this folder
 * the main entry imports, so a host without GraphQL packages never loads any. A missing package
 * fails the start with its name.
 */
export function loadGraphQLModule(
  core: DynamicModule,
  options: GraphQLParts,
): Promise<DynamicModule> {
  const loading = (async () => {
    await requirePackages('graphql: true', GRAPHQL_PACKAGES);
    if (options.ide) await requirePackages('ide: true', IDE_PACKAGES, 'locate');
    if (options.dashboard) {
      await requirePackages('dashboardPath', DASHBOARD_PACKAGES, 'locate');
    }
    const { WhatsAppClicksGraphQLModule } = await import('./whatsapp-clicks-graphql.module.js');
    return WhatsAppClicksGraphQLModule.register(core, options);
  })();
  // Nest awaits this while it scans the modules; until then a failure is not "unhandled".
  loading.catch(() => undefined);
  return loading;
}
