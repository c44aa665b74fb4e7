/**
 * Builds the tenant context of a gateway request.
 *
 * Until authentication lands, the caller is anonymous: with an `x-tenant-id` header the
 * request acts inside that tenant, without one it acts at platform level.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { BadUserInputError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { TenantContext } from '../lib/tenant-context.js';

export interface GatewayContext {
  tenant: TenantContext;
  /** Signed context per subgraph, made at most once per request. */
  signedContexts: Map<string, Promise<string>>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export async function createGatewayContext(req: http.IncomingMessage): Promise<GatewayContext> {
  const requestId = requestIdOf(req);
  const tenantHeader = req.headers['x-tenant-id'];
  if (tenantHeader !== undefined && !isUuid(tenantHeader)) {
    throw new BadUserInputError('x-tenant-id must be a tenant id (UUID)');
  }
  const tenantId = typeof tenantHeader === 'string' ? tenantHeader.toLowerCase() : null;
  return {
    tenant: {
      requestId,
      access: tenantId ? 'tenant' : 'platform',
      tenantId,
      principal: { id: 'anonymous', kind: 'anonymous' },
      roles: [],
      scopes: [],
      entitlements: [],
    },
    signedContexts: new Map(),
  };
}
