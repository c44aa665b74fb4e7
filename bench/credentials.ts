/**
 * What the harness sends to the CareGraph gateway to act as a given caller. Every header the
 * CareGraph target needs is made here and nowhere else, so that when the gateway starts
 * requiring a Bearer token, this one function changes (for example, to mint a token from the
 * development issuer) and every scenario follows.
 */

/** Who a benchmark request acts as: the whole platform, or inside one tenant. */
export type Scope = { access: 'platform' } | { access: 'tenant'; tenantId: string };

/** Request headers for the CareGraph gateway acting in `scope` (today: anonymous, tenant by header). */
export async function caregraphHeaders(scope: Scope): Promise<Record<string, string>> {
  return scope.access === 'tenant' ? { 'x-tenant-id': scope.tenantId } : {};
}

/**
 * Request headers for the baseline gateways (bare Apollo, Hive). They do not authenticate:
 * they only need to know which pre-signed context to forward, which they read from
 * `x-tenant-id` (see contexts.ts). Kept apart from caregraphHeaders on purpose, so that
 * CareGraph's authentication can change without touching the baselines.
 */
export function baselineHeaders(scope: Scope): Record<string, string> {
  return scope.access === 'tenant' ? { 'x-tenant-id': scope.tenantId } : {};
}

/** The key under which contexts.ts stores the pre-signed tokens of a scope. */
export const scopeKey = (scope: Scope): string => (scope.access === 'tenant' ? `tenant:${scope.tenantId}` : 'platform');

/** The scope a baseline gateway infers from an incoming request's `x-tenant-id` header. */
export function scopeKeyOfHeader(tenantHeader: string | null | undefined): string {
  return tenantHeader ? `tenant:${tenantHeader.toLowerCase()}` : 'platform';
}
