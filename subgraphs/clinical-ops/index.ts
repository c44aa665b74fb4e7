/**
 * The clinical-ops subgraph (workload plane): patients, appointments, the tenant's clinical
 * summary, and break-glass grants with the PHI audit.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { apolloSubgraph, type SubgraphDefinition } from '../../lib/subgraph.js';
import { breakGlassGrantRoute, breakGlassResolvers } from './break-glass.js';
import { createClinicalLoaders } from './context.js';
import { patientResolvers } from './patients.js';
import { summaryResolvers } from './summary.js';

export const name = 'clinical-ops';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(summaryResolvers, patientResolvers, breakGlassResolvers);

export const definition: SubgraphDefinition<ReturnType<typeof createClinicalLoaders>> = {
  name,
  dbSchema: 'clinical_ops',
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  migrationsDir: folderOf(import.meta.url, 'migrations'),
  createLoaders: createClinicalLoaders,
  internalRoutes: { 'break-glass-grant': breakGlassGrantRoute },
  onPhiRead: (context, read) => context.loaders.phiAudit.record(read, context.tenant),
  requestDidEnd: (context) => context.loaders.phiAudit.flush(context.db, context.tenant),
};

export const { start, migrationSet } = apolloSubgraph(definition);
