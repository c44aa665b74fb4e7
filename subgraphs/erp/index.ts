/**
 * The erp subgraph (embedded ERP): plan catalog and subscriptions.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { erpInternalRoutes } from './internal.js';
import { createErpLoaders, subscriptionResolvers } from './subscriptions.js';

export const name = 'erp';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = { ...subscriptionResolvers };

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createErpLoaders,
  internalRoutes: erpInternalRoutes,
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
