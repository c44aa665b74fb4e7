/**
 * The observability subgraph: tenant telemetry. Served by Fastify + Mercurius (its registry
 * kind), with the same bootstrap and request hooks as the Apollo subgraphs.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { ARCHIVE_ROUTE, archiveRoute } from '../../lib/workflows/offboarding.js';
import { createObservabilityLoaders, healthResolvers } from './health.js';

export const name = 'observability';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = { ...healthResolvers };

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createObservabilityLoaders,
  internalRoutes: { [ARCHIVE_ROUTE]: archiveRoute },
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
