/**
 * Which tenant a request acts on, whether the principal may act on it, and what the tenant is
 * entitled to: plan features (erp) plus cohort flags and governed overrides (tenancy). Facts
 * are cached per tenant for ACCESS_CACHE_SECONDS, so changes reach every replica within that.
 */
import type { Config } from '../lib/config.js';
import { TenantForbiddenError } from '../lib/errors.js';
import { PLATFORM_ROLES } from '../lib/policy/spec.js';
import type { ServiceClient } from '../lib/service-client.js';
import type { TenantContext } from '../lib/tenant-context.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { TenantAccess } from '../lib/auth/tenant-access.js';
import type { Principal } from './authenticate.js';

export interface TenantFacts {
  access: TenantAccess;
  entitlements: string[];
}

type Access = Pick<TenantContext, 'access' | 'tenantId' | 'entitlements' | 'tier' | 'cohort'>;

export class TenantResolver {
  private readonly facts: TtlCache<TenantFacts | null>;

  constructor(
    config: Config,
    private readonly services: ServiceClient,
  ) {
    this.facts = new TtlCache(config.accessCacheSeconds * 1000);
  }

  /** Decides the request's access level and tenant; throws TENANT_FORBIDDEN. */
  async resolve(principal: Principal, requestedTenantId: string | null): Promise<Access> {
    const platformStaff = principal.roles.some((role) => PLATFORM_ROLES.includes(role));
    const tenantId = requestedTenantId ?? principal.tenantId;
    if (!tenantId) {
      if (platformStaff) return { access: 'platform', tenantId: null, entitlements: [] };
      if (principal.partnerId) return { access: 'partner', tenantId: null, entitlements: [] };
      throw new TenantForbiddenError('No tenant to act on: send x-tenant-id');
    }
    const facts = await this.factsOf(tenantId);
    // A tenant that does not exist is refused like one the caller may not see: existence is not revealed.
    const allowed =
      facts !== null &&
      (platformStaff ||
        principal.tenantId === tenantId ||
        (principal.partnerId !== null && facts.access.partnerId === principal.partnerId && principal.tenantId === null));
    if (!allowed) throw new TenantForbiddenError();
    return { access: 'tenant', tenantId, entitlements: facts.entitlements, tier: facts.access.tier, cohort: facts.access.cohort };
  }

  private factsOf(tenantId: string): Promise<TenantFacts | null> {
    return this.facts.get(tenantId, async () => {
      const [{ tenant }, plan] = await Promise.all([
        this.services.get<{ tenant: TenantAccess | null }>('tenancy', 'tenant-access', { tenantId }),
        this.services.get<{ features: string[] }>('erp', 'entitlements', { tenantId }),
      ]);
      if (!tenant) return null;
      const withdrawn = new Set(tenant.withdrawnFeatures);
      const entitlements = [...new Set([...plan.features, ...tenant.grantedFeatures])].filter((f) => !withdrawn.has(f)).sort();
      return { access: tenant, entitlements };
    });
  }
}
