/**
 * Pre-signed tenant contexts for the targets that are not CareGraph: the two baseline
 * gateways and the direct subgraph call. CareGraph authenticates each request and signs a
 * fresh context per request and subgraph; the baselines have no such layer, so they forward
 * one token per (scope, subgraph) made here, valid for the whole run. Each carries what
 * CareGraph's own context carries for the same caller (roles, scopes, the tenant's
 * entitlements, tier and cohort), and the subgraphs verify and police it exactly as they do
 * CareGraph's, so every target does the same subgraph work. Like the gateway's, each token is
 * bound to a request id, which must travel beside it (`presignedHeaders`).
 */
import pg from 'pg';
import type { Config, SubgraphName } from '../lib/config.js';
import { SUBGRAPH_NAMES } from '../lib/config.js';
import { CONTEXT_HEADER, ContextSigner, REQUEST_ID_HEADER, resolveSigningKey, type TenantContext } from '../lib/tenant-context.js';
import { callerOf, scopeKey, type Scope } from './credentials.js';

/** Long enough for the longest run; the gateway's own contexts live CONTEXT_TTL_SECONDS. */
const PRESIGNED_TTL_SECONDS = 6 * 60 * 60;

/** Tokens by scope key (see credentials.ts) then by subgraph. */
export type PresignedContexts = Record<string, Record<SubgraphName, string>>;

/** What the gateway learns about a tenant before it signs a context for it. */
interface TenantFacts {
  entitlements: string[];
  tier: string | null;
  cohort: string | null;
}

/** The context CareGraph builds for the benchmark's caller in `scope` (see gateway/context.ts). */
export function contextOf(scope: Scope, facts: TenantFacts | null): TenantContext {
  const caller = callerOf(scope);
  return {
    requestId: presignedRequestId(scopeKey(scope)),
    access: scope.access,
    tenantId: scope.access === 'tenant' ? scope.tenantId : null,
    principal: { id: `user:${caller.subject}`, kind: 'user', partnerId: null },
    roles: [caller.role],
    scopes: caller.scopes,
    entitlements: facts?.entitlements ?? [],
    ...(facts ? { tier: facts.tier, cohort: facts.cohort } : {}),
    purpose: null,
    breakGlass: false,
  };
}

/** The request id the pre-signed contexts of a scope are bound to. */
export const presignedRequestId = (key: string): string => `bench-${key}`;

/**
 * The headers a baseline adds to a subgraph request for the caller's scope (by scope key): the
 * pre-signed context and the request id it is bound to; none for an unknown scope.
 */
export function presignedHeaders(contexts: PresignedContexts, key: string | undefined, subgraph: SubgraphName): Record<string, string> {
  const token = key === undefined ? undefined : contexts[key]?.[subgraph];
  return key !== undefined && token ? { [CONTEXT_HEADER]: token, [REQUEST_ID_HEADER]: presignedRequestId(key) } : {};
}

/** Signs one context per scope and subgraph with the gateway's signing key. */
export async function presignContexts(config: Config, adminUrl: string, scopes: Scope[]): Promise<PresignedContexts> {
  const signer = new ContextSigner(resolveSigningKey(config), PRESIGNED_TTL_SECONDS);
  const result: PresignedContexts = {};
  for (const scope of scopes) {
    const facts = scope.access === 'tenant' ? await tenantFacts(adminUrl, scope.tenantId) : null;
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (subgraph) => [subgraph, await signer.sign(contextOf(scope, facts), subgraph)] as const),
    );
    result[scopeKey(scope)] = Object.fromEntries(entries) as Record<SubgraphName, string>;
  }
  return result;
}

/** The tenant's plan features, tier and cohort, read as the admin (the benchmark's own setup). */
async function tenantFacts(adminUrl: string, tenantId: string): Promise<TenantFacts> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<TenantFacts>(
      `SELECT coalesce(p.features, '{}') AS entitlements, t.tier, t.cohort
         FROM tenancy.tenants t
         LEFT JOIN erp.subscriptions s ON s.tenant_id = t.id
         LEFT JOIN erp.plans p ON p.code = s.plan_code
        WHERE t.id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return { entitlements: [...(row?.entitlements ?? [])].sort(), tier: row?.tier ?? null, cohort: row?.cohort ?? null };
  } finally {
    await client.end();
  }
}
