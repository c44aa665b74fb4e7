/** What tenancy's internal tenant-access route answers: the facts the gateway builds a tenant context from. */
export interface TenantAccess {
  id: string;
  status: string;
  tier: string;
  cohort: string;
  partnerId: string | null;
  /** Features granted by the cohort or an override. */
  grantedFeatures: string[];
  /** Features withdrawn by an override (they win over the plan). */
  withdrawnFeatures: string[];
}
