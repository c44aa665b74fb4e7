/**
 * Decides whether a caller may read a field, from the field's policy and the tenant context.
 * The gateway (before planning) and every subgraph (again, at resolution) call this same
 * function, so the two layers cannot disagree.
 */
import { ErrorCode } from '../errors.js';
import type { TenantContext } from '../tenant-context.js';
import { BREAK_GLASS_ROLES, CLINICAL_ROLES, PHI_SCOPE, type FieldPolicy, type Role } from './spec.js';

export interface PolicyDenial {
  code: ErrorCode.InsufficientScope | ErrorCode.PhiAccessDenied | ErrorCode.EntitlementRequired;
  message: string;
}

export interface PolicyDecision {
  allowed: boolean;
  denial?: PolicyDenial;
  /** The read is allowed only through a declared break-glass purpose (raise a security event). */
  breakGlass?: boolean;
}

const ALLOWED: PolicyDecision = Object.freeze({ allowed: true });

type Caller = Pick<TenantContext, 'access' | 'roles' | 'scopes' | 'entitlements' | 'purpose' | 'breakGlass' | 'breakGlassGrant'>;

export function evaluatePolicy(policy: FieldPolicy | undefined, caller: Caller): PolicyDecision {
  if (!policy) return ALLOWED;
  if (policy.scopes.length > 0 && !policy.scopes.some((all) => all.every((scope) => caller.scopes.includes(scope)))) {
    return deny(ErrorCode.InsufficientScope, `Requires scope ${policy.scopes.map((all) => all.join(' + ')).join(' or ')}`);
  }
  let breakGlass = false;
  if (policy.phi) {
    const clinical = caller.scopes.includes(PHI_SCOPE) && caller.roles.some((role) => CLINICAL_ROLES.includes(role as Role));
    if (!clinical) {
      const mayBreakGlass = underBreakGlassGrant(caller);
      if (!mayBreakGlass) {
        return deny(ErrorCode.PhiAccessDenied, 'Protected health information requires the phi:read scope and a clinical role');
      }
      breakGlass = true;
    }
  }
  // Platform-level requests act across tenants and are not gated by any one tenant's plan.
  if (caller.access !== 'platform') {
    const missing = policy.entitlements.filter((feature) => !caller.entitlements.includes(feature));
    if (missing.length > 0) return deny(ErrorCode.EntitlementRequired, `The tenant's plan does not include ${missing.join(', ')}`);
  }
  return breakGlass ? { allowed: true, breakGlass } : ALLOWED;
}

/**
 * Whether the caller acts under a declared break-glass grant that still holds: bound to one
 * tenant (never platform level), to a role that may declare it, and not yet expired. Which
 * patients it covers is checked where the record is known (clinical-ops, at resolution).
 */
export function underBreakGlassGrant(caller: Caller, nowSeconds = Date.now() / 1000): boolean {
  return (
    caller.access === 'tenant' &&
    caller.breakGlass === true &&
    Boolean(caller.purpose) &&
    caller.breakGlassGrant != null &&
    caller.breakGlassGrant.expiresAt > nowSeconds &&
    caller.roles.some((role) => BREAK_GLASS_ROLES.includes(role as Role))
  );
}

function deny(code: PolicyDenial['code'], message: string): PolicyDecision {
  return { allowed: false, denial: { code, message } };
}
