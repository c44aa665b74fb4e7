/**
 * Which tenant a request acts on, whether the principal may act on it, and what the tenant is
 * entitled to: plan features (erp) plus cohort flags and governed overrides (tenancy). Facts
 * — the tenant's status included — are cached per tenant for ACCESS_CACHE_SECONDS, so changes
 * reach every replica within that.
 *
 * A suspended or offboarded tenant is closed to its users and its partners' keys. Platform
 * staff may still act on it, and each such request is recorded as a security event in
 * tenancy before anything executes: if the record cannot be written, the request is refused.
 */
import type { SecurityEvent } from '../lib/auth/security-event.js';
import { OPEN_TENANT_STATUSES, type TenantAccess } from '../lib/auth/tenant-access.js';
import type { Config } from '../lib/config.js';
import { CareGraphError, ErrorCode, TenantForbiddenError, TenantOffboardedError, TenantSuspendedError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { PLATFORM_ROLES } from '../lib/policy/spec.js';
import type { ServiceClient } from '../lib/service-client.js';
import type { TenantContext } from '../lib/tenant-context.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { Principal } from './authenticate.js';

/** Quantitative limits of the tenant's plan (erp's catalog), e.g. `api_max_cost`. */
export type PlanLimits = Readonly<Record<string, number>>;

export interface TenantFacts {
  access: TenantAccess;
  entitlements: string[];
  limits: PlanLimits;
}

/** The ids of the request being resolved, for the audit of platform staff in an inactive tenant. */
export interface RequestIds {
  /** The gateway's own request id. */
  requestId: string;
  /** The client's x-request-id, if any. */
  correlationId: string | null;
}

/** What resolution decides; `limits` stays in the gateway (it is not part of the signed context). */
type Access = Pick<TenantContext, 'access' | 'tenantId' | 'entitlements' | 'tier' | 'cohort'> & { limits?: PlanLimits };

/** The refusal for a tenant that is not open; a status the gateway does not know is closed like a suspension. */
function closedTenantError(status: string): CareGraphError {
  return status === 'offboarded' || status === 'offboarding' ? new TenantOffboardedError() : new TenantSuspendedError();
}

export class TenantResolver {
  private readonly facts: TtlCache<TenantFacts | null>;
  private readonly logger: Logger;

  constructor(
    config: Config,
    private readonly services: Pick<ServiceClient, 'get' | 'post'>,
  ) {
    this.facts = new TtlCache(config.accessCacheSeconds * 1000);
    this.logger = createLogger('gateway', config.logLevel);
  }

  /**
   * Decides the request's access level and tenant; throws TENANT_FORBIDDEN, TENANT_SUSPENDED
   * or TENANT_OFFBOARDED, or INTERNAL_SERVER_ERROR when a required audit cannot be recorded.
   */
  async resolve(principal: Principal, requestedTenantId: string | null, request: RequestIds): Promise<Access> {
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
    // Checked after the permission, so a caller learns a tenant's status only if it may act on it.
    if (!OPEN_TENANT_STATUSES.includes(facts.access.status)) {
      if (!platformStaff) throw closedTenantError(facts.access.status);
      await this.recordClosedTenantAccess(principal, facts.access, request);
    }
    return { access: 'tenant', tenantId, entitlements: facts.entitlements, tier: facts.access.tier, cohort: facts.access.cohort, limits: facts.limits };
  }

  /** No record, no answer: the request goes on only once tenancy has committed the event. */
  private async recordClosedTenantAccess(principal: Principal, tenant: TenantAccess, request: RequestIds): Promise<void> {
    const event: SecurityEvent = {
      kind: 'inactive_tenant_access',
      tenantId: tenant.id,
      principalId: principal.id,
      roles: principal.roles,
      requestId: request.requestId,
      correlationId: request.correlationId,
      detail: { status: tenant.status, principalKind: principal.kind },
    };
    try {
      await this.services.post('tenancy', 'security-event', event);
    } catch (error) {
      // Logged here with the ids because no request context exists yet to carry them.
      this.logger.error(
        { requestId: request.requestId, tenantId: tenant.id, err: { message: (error as Error).message } },
        'security event not recorded: request refused',
      );
      throw new CareGraphError(ErrorCode.InternalServerError, `Internal server error (request ${request.requestId})`, {
        extensions: { requestId: request.requestId },
      });
    }
  }

  private factsOf(tenantId: string): Promise<TenantFacts | null> {
    return this.facts.get(tenantId, async () => {
      const [{ tenant }, plan] = await Promise.all([
        this.services.get<{ tenant: TenantAccess | null }>('tenancy', 'tenant-access', { tenantId }),
        this.services.get<{ features: string[]; limits?: PlanLimits }>('erp', 'entitlements', { tenantId }),
      ]);
      if (!tenant) return null;
      const withdrawn = new Set(tenant.withdrawnFeatures);
      const entitlements = [...new Set([...plan.features, ...tenant.grantedFeatures])].filter((f) => !withdrawn.has(f)).sort();
      return { access: tenant, entitlements, limits: plan.limits ?? {} };
    });
  }
}
