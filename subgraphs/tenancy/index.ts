/**
 * The tenancy subgraph (control plane): tenants and partners.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { startApolloSubgraph, type StartOptions, type SubgraphDefinition } from '../../lib/subgraph.js';
import { createTenancyLoaders } from './context.js';
import { partnerResolvers } from './partners.js';
import { tenantResolvers } from './tenants.js';

export const name = 'tenancy';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = { ...tenantResolvers, ...partnerResolvers };

export const definition: SubgraphDefinition<ReturnType<typeof createTenancyLoaders>> = {
  name,
  dbSchema: 'tenancy',
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  migrationsDir: folderOf(import.meta.url, 'migrations'),
  createLoaders: createTenancyLoaders,
};

export const start = (options: StartOptions) => startApolloSubgraph(definition, options);
export const migrationSet = { schema: definition.dbSchema, directory: definition.migrationsDir };
