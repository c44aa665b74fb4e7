/**
 * Builds the tenant context of a gateway request: authenticate the caller, resolve the tenant
 * it acts on (token claim or x-tenant-id, checked against what the principal may act on) and
 * the tenant's entitlements, read the declared purpose of use, and check a presented
 * break-glass grant.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { BadUserInputError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { TenantContext } from '../lib/tenant-context.js';
import type { Authenticator } from './authenticate.js';
import type { BreakGlassVerifier } from './break-glass.js';
import type { TenantResolver } from './tenant-access.js';

export interface GatewayContext {
  tenant: TenantContext;
  /** Signed context per subgraph, made at most once per request. */
  signedContexts: Map<string, Promise<string>>;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The client's own `x-request-id`, kept as a correlation id only. The request id that audit
 * rows and logs are keyed by is always generated here: a client must not be able to choose
 * (or collide with) the id of an audit record.
 */
export function correlationIdOf(req: http.IncomingMessage): string | null {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CORRELATION_ID.test(given) ? given : null;
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** The declared purpose of use (recorded with PHI reads). Break-glass purposes come from a grant instead. */
function purposeOf(req: http.IncomingMessage): Pick<TenantContext, 'purpose' | 'breakGlass'> {
  const purpose = headerOf(req, 'x-purpose-of-use');
  if (purpose !== undefined && (purpose.length === 0 || purpose.length > 100)) {
    throw new BadUserInputError('x-purpose-of-use must be 1–100 characters');
  }
  return { purpose: purpose ?? null, breakGlass: false };
}

export function contextFactory(authenticator: Authenticator, tenants: TenantResolver, breakGlass: BreakGlassVerifier) {
  return async function createGatewayContext(req: http.IncomingMessage): Promise<GatewayContext> {
    const requestId = randomUUID();
    const correlationId = correlationIdOf(req);
    const tenantHeader = headerOf(req, 'x-tenant-id');
    if (tenantHeader !== undefined && !isUuid(tenantHeader)) throw new BadUserInputError('x-tenant-id must be a tenant id (UUID)');
    const purpose = purposeOf(req);
    const principal = await authenticator.authenticate(req);
    const access = await tenants.resolve(principal, tenantHeader?.toLowerCase() ?? null, { requestId, correlationId });
    const tenant: TenantContext = {
      requestId,
      correlationId,
      ...access,
      principal: { id: principal.id, kind: principal.kind, partnerId: principal.partnerId },
      roles: principal.roles,
      scopes: principal.scopes,
      ...purpose,
    };
    const glass = await breakGlass.verify(req.headers, tenant);
    return { tenant: glass ? { ...tenant, ...glass } : tenant, signedContexts: new Map() };
  };
}
