/**
 * The erp subgraph (embedded ERP): the catalog, subscriptions and their changes, usage,
 * invoices and what settles them (docs/billing.md); implementation milestones and onboarding cycle
 * time (docs/milestones.md).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { erpInternalRoutes } from './internal.js';
import { invoiceResolvers } from './invoices.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { milestoneResolvers } from './milestones.js';
import { subscriptionChangeResolvers } from './subscription-changes.js';
import { createErpLoaders, subscriptionResolvers } from './subscriptions.js';
import { usageResolvers } from './usage.js';

export const name = 'erp';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(subscriptionResolvers, subscriptionChangeResolvers, usageResolvers, invoiceResolvers, milestoneResolvers);

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createErpLoaders,
  internalRoutes: erpInternalRoutes,
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
