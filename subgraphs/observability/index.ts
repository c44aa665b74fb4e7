/**
 * The observability subgraph: tenant telemetry (requests, SLOs, escalations, integration health, workload queues). Served by Fastify + Mercurius (its registry
 * kind), with the same bootstrap and request hooks as the Apollo subgraphs.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { ARCHIVE_ROUTE, archiveRoute } from '../../lib/workflows/offboarding.js';
import { createObservabilityLoaders, healthResolvers } from './health.js';
import { createIntegrationHealthLoader, integrationHealthResolvers } from './integration-health.js';
import { workloadHealthResolvers } from './workload-health.js';

export const name = 'observability';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(healthResolvers, integrationHealthResolvers, workloadHealthResolvers);

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: (db, tenant) => ({ ...createObservabilityLoaders(db, tenant), ...createIntegrationHealthLoader(db, tenant) }),
  internalRoutes: { [ARCHIVE_ROUTE]: archiveRoute },
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
