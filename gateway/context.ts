/**
 * Builds the tenant context of a gateway request: authenticate the caller, resolve the tenant
 * it acts on (token claim or x-tenant-id, checked against what the principal may act on) and
 * the tenant's entitlements, and read the declared purpose of use.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { BadUserInputError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { TenantContext } from '../lib/tenant-context.js';
import type { Authenticator } from './authenticate.js';
import type { TenantResolver } from './tenant-access.js';

export interface GatewayContext {
  tenant: TenantContext;
  /** Signed context per subgraph, made at most once per request. */
  signedContexts: Map<string, Promise<string>>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const MIN_BREAK_GLASS_REASON = 10;

export function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** The purpose of use: a break-glass reason (an emergency declaration) or an ordinary purpose. */
function purposeOf(req: http.IncomingMessage): Pick<TenantContext, 'purpose' | 'breakGlass'> {
  const reason = headerOf(req, 'x-break-glass-reason');
  if (reason !== undefined) {
    if (reason.length < MIN_BREAK_GLASS_REASON || reason.length > 500) {
      throw new BadUserInputError(`x-break-glass-reason must state the emergency in ${MIN_BREAK_GLASS_REASON}–500 characters`);
    }
    return { purpose: reason, breakGlass: true };
  }
  const purpose = headerOf(req, 'x-purpose-of-use');
  if (purpose !== undefined && (purpose.length === 0 || purpose.length > 100)) {
    throw new BadUserInputError('x-purpose-of-use must be 1–100 characters');
  }
  return { purpose: purpose ?? null, breakGlass: false };
}

export function contextFactory(authenticator: Authenticator, tenants: TenantResolver) {
  return async function createGatewayContext(req: http.IncomingMessage): Promise<GatewayContext> {
    const requestId = requestIdOf(req);
    const tenantHeader = headerOf(req, 'x-tenant-id');
    if (tenantHeader !== undefined && !isUuid(tenantHeader)) throw new BadUserInputError('x-tenant-id must be a tenant id (UUID)');
    const purpose = purposeOf(req);
    const principal = await authenticator.authenticate(req);
    const access = await tenants.resolve(principal, tenantHeader?.toLowerCase() ?? null);
    return {
      tenant: {
        requestId,
        ...access,
        principal: { id: principal.id, kind: principal.kind, partnerId: principal.partnerId },
        roles: principal.roles,
        scopes: principal.scopes,
        ...purpose,
      },
      signedContexts: new Map(),
    };
  };
}
