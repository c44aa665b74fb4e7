/** What tenancy's internal tenant-access route answers: the facts the gateway builds a tenant context from. */
export interface TenantAccess {
  id: string;
  /** Lifecycle status (`tenancy.tenants.status`): see OPEN_TENANT_STATUSES. */
  status: string;
  tier: string;
  cohort: string;
  partnerId: string | null;
  /** Features granted by the cohort or an override. */
  grantedFeatures: string[];
  /** Features withdrawn by an override (they win over the plan). */
  withdrawnFeatures: string[];
}

/**
 * Statuses in which a tenant's own users and its partners' keys may act on it. Every other
 * status (suspended, offboarded, and any the gateway does not know yet) admits platform staff
 * only, each request audited.
 */
export const OPEN_TENANT_STATUSES: readonly string[] = ['active', 'provisioning'];
