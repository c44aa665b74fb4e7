/**
 * The erp subgraph (embedded ERP): plan catalog and subscriptions.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { apolloSubgraph, type SubgraphDefinition } from '../../lib/subgraph.js';
import { erpInternalRoutes } from './internal.js';
import { createErpLoaders, subscriptionResolvers } from './subscriptions.js';

export const name = 'erp';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = { ...subscriptionResolvers };

export const definition: SubgraphDefinition<ReturnType<typeof createErpLoaders>> = {
  name,
  dbSchema: 'erp',
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  migrationsDir: folderOf(import.meta.url, 'migrations'),
  createLoaders: createErpLoaders,
  internalRoutes: erpInternalRoutes,
};

export const { start, migrationSet } = apolloSubgraph(definition);
