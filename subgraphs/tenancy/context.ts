import type { Database } from '../../lib/db/index.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { fetchPartnersByIds } from './partners.js';
import { fetchTenantAccess } from './tenant-access.js';
import { fetchTenantsByIds } from './tenants.js';

/** Per-request loaders of the tenancy subgraph. */
export function createTenancyLoaders(db: Database, tenant: TenantContext) {
  return {
    tenantById: rowLoader(db, tenant, fetchTenantsByIds, (row) => row.id),
    partnerById: rowLoader(db, tenant, fetchPartnersByIds, (row) => row.id),
    accessByTenant: rowLoader(db, tenant, fetchTenantAccess, (row) => row.id),
  };
}

export type TenancyContext = SubgraphContext<ReturnType<typeof createTenancyLoaders>>;
