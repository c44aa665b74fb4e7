/**
 * The clinical-ops subgraph (workload plane): patients, appointments and the tenant's
 * clinical summary.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { folderOf, loadTypeDefs } from '../../lib/schema-file.js';
import { apolloSubgraph, type SubgraphDefinition } from '../../lib/subgraph.js';
import { createClinicalLoaders } from './context.js';
import { patientResolvers } from './patients.js';
import { summaryResolvers } from './summary.js';

export const name = 'clinical-ops';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(summaryResolvers, patientResolvers);

export const definition: SubgraphDefinition<ReturnType<typeof createClinicalLoaders>> = {
  name,
  dbSchema: 'clinical_ops',
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  migrationsDir: folderOf(import.meta.url, 'migrations'),
  createLoaders: createClinicalLoaders,
  onPhiRead: (context, read) => context.loaders.phiAudit.record(read),
  requestDidEnd: (context) => context.loaders.phiAudit.flush(context.db, context.tenant),
};

export const { start, migrationSet } = apolloSubgraph(definition);
