import type { Database } from '../../lib/db/index.js';
import { InsufficientScopeError } from '../../lib/errors.js';
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

/** Refuses anyone but a platform admin; `only` finishes the sentence "Only platform admins …". */
export function requirePlatformAdmin(tenant: TenantContext, only: string): void {
  if (!tenant.roles.includes('platform_admin')) throw new InsufficientScopeError(`Only platform admins ${only}`);
}

/**
 * The context at platform level, whatever level the caller came at: for the platform's own
 * writes (change requests, flags, overrides), which the policies allow there only.
 */
export const atPlatform = (tenant: TenantContext): TenantContext => ({ ...tenant, access: 'platform', tenantId: null });

/** The context bound to one tenant: for work on that tenant (its row, its outbox, its audit chain). */
export const actingOn = (tenant: TenantContext, tenantId: string): TenantContext => ({ ...tenant, access: 'tenant', tenantId });
