/**
 * The erp subgraph (embedded ERP): the catalog, subscriptions and their changes, usage,
 * invoices and what settles them (docs/billing.md); purchase orders for implementation work, their
 * costs and the gross margin per tenant and partner (docs/procurement.md); implementation
 * milestones and onboarding cycle time (docs/milestones.md).
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { loadTypeDefs } from '../../lib/schema-file.js';
import { defineSubgraph, startSubgraph, type StartOptions } from '../../lib/subgraph/index.js';
import { erpInternalRoutes } from './internal.js';
import { invoiceResolvers } from './invoices.js';
import { marginResolvers } from './margin.js';
import { mergeResolvers } from '../../lib/resolvers.js';
import { periodCloseResolvers } from './period-close.js';
import { reconcileResolvers } from './reconcile.js';
import { revenueMetricResolvers } from './revenue-metrics.js';
import { procurementResolvers } from './procurement.js';
import { milestoneResolvers } from './milestones.js';
import { subscriptionChangeResolvers } from './subscription-changes.js';
import { createErpLoaders, subscriptionResolvers } from './subscriptions.js';
import { usageResolvers } from './usage.js';

export const name = 'erp';
export const typeDefs = loadTypeDefs(import.meta.url);
export const resolvers = mergeResolvers(
  subscriptionResolvers,
  subscriptionChangeResolvers,
  usageResolvers,
  invoiceResolvers,
  revenueMetricResolvers,
  reconcileResolvers,
  periodCloseResolvers,
  procurementResolvers,
  marginResolvers,
  milestoneResolvers,
);

export const definition = defineSubgraph(name, {
  typeDefs,
  resolvers: resolvers as GraphQLResolverMap<unknown>,
  createLoaders: createErpLoaders,
  internalRoutes: erpInternalRoutes,
});

/** Starts this subgraph (the registry, lib/services.ts, says which server serves it). */
export const start = (options: StartOptions) => startSubgraph(definition, options);
