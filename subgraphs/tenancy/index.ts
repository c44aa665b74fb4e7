/**
 * The tenancy subgraph (control plane): tenants and their lifecycle, partners, API keys,
 * feature flags, and the audit log of it all.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { apiKeyResolvers } from './api-keys.js';
import { auditResolvers } from './audit.js';
import { createTenancyLoaders } from './context.js';
import { escalationResolvers } from './escalation.js';
import { tenancyInternalRoutes } from './internal.js';
import { fleetGroupResolvers } from './fleet-groups.js';
import { flagResolvers } from './flags.js';
import { governanceResolvers } from './governance.js';
import { lifecycleResolvers } from './lifecycle.js';
import { memberResolvers } from './members.js';
import { offboardingResolvers } from './offboarding-view.js';
import { partnerResolvers } from './partners.js';
import { provisioningResolvers } from './provisioning.js';
import { tenantAccessResolvers } from './tenant-access.js';
import { tenantResolvers } from './tenants.js';

export const name = 'tenancy';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(tenantResolvers, partnerResolvers, tenantAccessResolvers, apiKeyResolvers, lifecycleResolvers, auditResolvers, governanceResolvers, flagResolvers, memberResolvers, provisioningResolvers, offboardingResolvers, escalationResolvers, fleetGroupResolvers);

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createTenancyLoaders,
  internalRoutes: tenancyInternalRoutes,
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
