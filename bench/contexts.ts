/**
 * Pre-signed tenant contexts for the targets that are not CareGraph: the two baseline
 * gateways and the direct subgraph call. CareGraph signs a fresh context per request and per
 * subgraph; the baselines have no such layer, so they forward one token per (scope,
 * subgraph) made here, valid for the whole run. The subgraphs verify these exactly as they
 * verify CareGraph's, so every target does the same subgraph work.
 */
import type { Config, SubgraphName } from '../lib/config.js';
import { SUBGRAPH_NAMES } from '../lib/config.js';
import { ContextSigner, resolveSigningSecret, type TenantContext } from '../lib/tenant-context.js';
import { scopeKey, type Scope } from './credentials.js';

/** Long enough for the longest run; the gateway's own contexts live CONTEXT_TTL_SECONDS. */
const PRESIGNED_TTL_SECONDS = 6 * 60 * 60;

/** Tokens by scope key (see credentials.ts) then by subgraph. */
export type PresignedContexts = Record<string, Record<SubgraphName, string>>;

/** The context CareGraph builds today for an anonymous caller in `scope` (gateway/context.ts). */
export function contextOf(scope: Scope): TenantContext {
  return {
    requestId: `bench-${scopeKey(scope)}`,
    access: scope.access,
    tenantId: scope.access === 'tenant' ? scope.tenantId : null,
    principal: { id: 'anonymous', kind: 'anonymous' },
    roles: [],
    scopes: [],
    entitlements: [],
  };
}

/** Signs one context per scope and subgraph with the platform's secret. */
export async function presignContexts(config: Config, scopes: Scope[]): Promise<PresignedContexts> {
  const signer = new ContextSigner(resolveSigningSecret(config), PRESIGNED_TTL_SECONDS);
  const result: PresignedContexts = {};
  for (const scope of scopes) {
    const entries = await Promise.all(
      SUBGRAPH_NAMES.map(async (subgraph) => [subgraph, await signer.sign(contextOf(scope), subgraph)] as const),
    );
    result[scopeKey(scope)] = Object.fromEntries(entries) as Record<SubgraphName, string>;
  }
  return result;
}
