/**
 * Break-glass at the gateway: a request that presents `x-break-glass-grant: <id>` reads PHI
 * under that grant only if clinical-ops confirms it is live and was declared by this
 * principal in this tenant. The grant (patients, expiry) then travels in the signed context,
 * so the subgraph can hold each read to the patients it names.
 */
import { BadUserInputError, PhiAccessDeniedError, TenantForbiddenError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { ServiceClient } from '../lib/service-client.js';
import type { TenantContext } from '../lib/tenant-context.js';
import type { BreakGlassGrantLookup } from '../lib/policy/break-glass.js';

export const BREAK_GLASS_HEADER = 'x-break-glass-grant';
/** The former header: a bare reason with no grant. Refused with a pointer to the new way. */
const RETIRED_HEADER = 'x-break-glass-reason';

type BreakGlassFields = Pick<TenantContext, 'breakGlass' | 'breakGlassGrant' | 'purpose'>;

export class BreakGlassVerifier {
  constructor(private readonly services: ServiceClient) {}

  /**
   * The break-glass part of a request's context, or `undefined` when the request declares none.
   * Throws BAD_USER_INPUT for a malformed header, TENANT_FORBIDDEN outside one tenant, and
   * PHI_ACCESS_DENIED for a grant that is unknown, expired or someone else's.
   */
  async verify(
    headers: Record<string, string | string[] | undefined>,
    context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>,
  ): Promise<BreakGlassFields | undefined> {
    if (headers[RETIRED_HEADER] !== undefined) {
      throw new BadUserInputError(`${RETIRED_HEADER} is no longer accepted: declare the emergency with declareBreakGlass and send ${BREAK_GLASS_HEADER}`);
    }
    const header = headers[BREAK_GLASS_HEADER];
    if (header === undefined) return undefined;
    const grantId = typeof header === 'string' ? header.trim().toLowerCase() : '';
    if (!isUuid(grantId)) throw new BadUserInputError(`${BREAK_GLASS_HEADER} must be the id of a declared grant`);
    if (context.access !== 'tenant' || !context.tenantId) {
      throw new TenantForbiddenError('Break-glass is bound to one tenant: send x-tenant-id');
    }
    const { grant } = await this.services.get<BreakGlassGrantLookup>('clinical-ops', 'break-glass-grant', {
      id: grantId,
      tenantId: context.tenantId,
      principalId: context.principal.id,
    });
    if (!grant) throw new PhiAccessDeniedError('The break-glass grant is unknown, expired, or not yours in this tenant');
    return {
      breakGlass: true,
      purpose: grant.reason,
      breakGlassGrant: { id: grant.id, patientIds: grant.patientIds, expiresAt: grant.expiresAt },
    };
  }
}
