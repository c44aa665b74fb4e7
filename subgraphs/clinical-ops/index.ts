/**
 * The clinical-ops subgraph (workload plane): patients, providers, locations, appointments and
 * insurance coverages with their FHIR R4 export, the tenant's clinical summary, break-glass
 * grants with the PHI audit, the workflows and their runs (workflows/), and the integration
 * gateway's tenant mappings and simulator knobs (integrations/).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { ARCHIVE_ROUTE, archiveRoute } from '../../lib/workflows/offboarding.js';
import { breakGlassGrantRoute, breakGlassResolvers } from './break-glass.js';
import { createClinicalLoaders } from './context.js';
import { appointmentResolvers } from './appointments.js';
import { coverageResolvers } from './coverage.js';
import { fhirResolvers } from './fhir/export.js';
import { locationResolvers } from './locations.js';
import { configureIntegrations } from './integrations/gateway.js';
import { mappingAdminResolvers } from './integrations/mapping-admin.js';
import { mappingChangeResolvers } from './integrations/mapping-changes.js';
import { simulatorKnobResolvers } from './integrations/simulator-knobs.js';
import { patientResolvers } from './patients.js';
import { providerResolvers } from './providers.js';
import { summaryResolvers } from './summary.js';
import { workloadResolvers } from './workflows/graph.js';
import { workflowRecordResolvers } from './workflows/records-graph.js';

export const name = 'clinical-ops';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(
  summaryResolvers,
  patientResolvers,
  appointmentResolvers,
  providerResolvers,
  locationResolvers,
  coverageResolvers,
  fhirResolvers,
  breakGlassResolvers,
  workloadResolvers,
  workflowRecordResolvers,
  mappingAdminResolvers,
  mappingChangeResolvers,
  simulatorKnobResolvers,
);

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createClinicalLoaders,
  internalRoutes: { 'break-glass-grant': breakGlassGrantRoute, [ARCHIVE_ROUTE]: archiveRoute },
  onPhiRead: (context, read) => context.loaders.phiAudit.record(read, context.tenant),
  requestDidEnd: (context) => context.loaders.phiAudit.flush(context.db, context.tenant),
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => {
  // Where the simulators' admin API is, for the knobs: the configuration this subgraph starts with.
  configureIntegrations(options.config);
  return startSubgraph(definition, options);
};
