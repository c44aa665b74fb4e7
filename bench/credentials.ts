/**
 * Who the benchmark's requests act as, and what the CareGraph gateway is sent to prove it.
 * Every header the CareGraph target needs is made here and nowhere else (`caregraphHeaders`;
 * for the flood scenario `tenantUserHeaders` and `apiKeyHeaders`), so that a change in how the
 * gateway authenticates changes this file only.
 */
import { DevIssuer } from '../lib/auth/dev-issuer.js';
import type { Config } from '../lib/config.js';
import { DEFAULT_ROLE_SCOPES, type Role } from '../lib/policy/spec.js';

/**
 * A benchmark caller: a tenant administrator inside one tenant (the tenant dashboard), or a
 * platform administrator across tenants (the fleet pages).
 */
export type Scope = { access: 'platform' } | { access: 'tenant'; tenantId: string };

/** The caller behind a scope, as the development issuer's token describes it. */
export function callerOf(scope: Scope): { subject: string; role: Role; scopes: string[] } {
  const role: Role = scope.access === 'tenant' ? 'tenant_admin' : 'platform_admin';
  return { subject: `bench-${role.replace('_', '-')}`, role, scopes: [...DEFAULT_ROLE_SCOPES[role]] };
}

/** Tokens live longer than any run; minted once per scope. */
const TOKEN_TTL_SECONDS = 6 * 60 * 60;
const tokens = new Map<string, Promise<string>>();

/**
 * Request headers for the CareGraph gateway acting in `scope`: a Bearer token from the
 * platform's development issuer (the embedded default), with the caller's role and default
 * scopes and, inside a tenant, its tenant claim — authenticated and policed like any user.
 */
export async function caregraphHeaders(config: Config, scope: Scope): Promise<Record<string, string>> {
  const key = scopeKey(scope);
  let token = tokens.get(key);
  if (!token) {
    const caller = callerOf(scope);
    token = DevIssuer.open(config).then((issuer) =>
      issuer.mint({
        subject: caller.subject,
        roles: [caller.role],
        tenantId: scope.access === 'tenant' ? scope.tenantId : null,
        ttlSeconds: TOKEN_TTL_SECONDS,
      }),
    );
    tokens.set(key, token);
  }
  return { authorization: `Bearer ${await token}` };
}

let issuer: Promise<DevIssuer> | undefined;

/**
 * Request headers for the CareGraph gateway as one user of a tenant: a `tenant_admin` (the
 * tenant dashboard's caller in scenario A) with a subject of its own, so that each user counts
 * against a rate-limit bucket of its own (the flood scenario's dashboard users).
 */
export async function tenantUserHeaders(config: Config, tenantId: string, subject: string): Promise<Record<string, string>> {
  issuer ??= DevIssuer.open(config);
  const token = await (await issuer).mint({ subject, roles: ['tenant_admin'], tenantId, ttlSeconds: TOKEN_TTL_SECONDS });
  return { authorization: `Bearer ${token}` };
}

/** Request headers for the CareGraph gateway as a partner's API key acting inside one of its tenants. */
export function apiKeyHeaders(secret: string, tenantId: string): Record<string, string> {
  return { 'x-api-key': secret, 'x-tenant-id': tenantId };
}

/**
 * Request headers for the baseline gateways (bare Apollo, Hive). They do not authenticate:
 * they only need to know which pre-signed context to forward, which they read from
 * `x-tenant-id` (see contexts.ts).
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
