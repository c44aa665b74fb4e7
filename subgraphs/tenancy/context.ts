import type { Database } from '../../lib/db/index.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { fetchEscalationByTenants } from './escalation.js';
import { fetchOffboardingByTenants } from './offboarding-view.js';
import { fetchPartnersByIds } from './partners.js';
import { fetchChecklistsByTenants, fetchProvisioningByTenants } from './provisioning.js';
import { fetchTenantAccess } from './tenant-access.js';
import { fetchTenantsByIds } from './tenants.js';

/** Per-request loaders of the tenancy subgraph. */
export function createTenancyLoaders(db: Database, tenant: TenantContext) {
  return {
    tenantById: rowLoader(db, tenant, fetchTenantsByIds, (row) => row.id),
    partnerById: rowLoader(db, tenant, fetchPartnersByIds, (row) => row.id),
    accessByTenant: rowLoader(db, tenant, fetchTenantAccess, (row) => row.id),
    provisioningByTenant: rowLoader(db, tenant, fetchProvisioningByTenants, (row) => row.tenantId),
    checklistByTenant: rowLoader(db, tenant, fetchChecklistsByTenants, (row) => row.tenant_id),
    offboardingByTenant: rowLoader(db, tenant, fetchOffboardingByTenants, (row) => row.tenant_id),
    escalationByTenant: rowLoader(db, tenant, fetchEscalationByTenants, (row) => row.tenantId),
  };
}

export type TenancyContext = SubgraphContext<ReturnType<typeof createTenancyLoaders>>;

// Shared with the other subgraphs (lib/tenant-context.ts).
export { actingOn, atPlatform, requirePlatformAdmin } from '../../lib/tenant-context.js';
