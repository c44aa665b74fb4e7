/**
 * The tenancy subgraph (control plane): tenants, partners, API keys, feature flags.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { apolloSubgraph, type SubgraphDefinition } from '../../lib/subgraph.js';
import { apiKeyResolvers } from './api-keys.js';
import { createTenancyLoaders } from './context.js';
import { tenancyInternalRoutes } from './internal.js';
import { partnerResolvers } from './partners.js';
import { tenantAccessResolvers } from './tenant-access.js';
import { tenantResolvers } from './tenants.js';

export const name = 'tenancy';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(tenantResolvers, partnerResolvers, tenantAccessResolvers, apiKeyResolvers);

export const definition: SubgraphDefinition<ReturnType<typeof createTenancyLoaders>> = {
  name,
  dbSchema: 'tenancy',
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  migrationsDir: folderOf(import.meta.url, 'migrations'),
  createLoaders: createTenancyLoaders,
  internalRoutes: tenancyInternalRoutes,
};

export const { start, migrationSet } = apolloSubgraph(definition);
