/**
 * `GET /exports/<tenantId>/<domain>.ndjson`: an offboarding tenant's archive of one domain
 * (lib/workflows/offboarding.ts), for platform admins only — the archive holds every row the
 * domain kept of the tenant, PHI included.
 *
 * The caller is authenticated as for GraphQL, by Bearer token; anyone but a platform admin gets
 * 403 (an API key before any lookup: keys hold no role) and no credentials 401, each with the
 * platform's JSON error. Who asks is settled before what is asked for says anything: an unknown
 * tenant, domain or archive is 404 to platform admins only. The bytes come from the owning
 * domain's internal route, read there through its own tenant-bound Database; the download is
 * recorded in the tenant's audit chain (`export.downloaded`, by tenancy) before the first byte is
 * passed on, so no archive leaves unaudited, and the bytes then stream through as they come.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { DATA_DOMAINS, type DataDomain } from '../lib/events/catalog.js';
import { MethodNotAllowedError, NotFoundError, TenantForbiddenError, UnauthenticatedError } from '../lib/errors.js';
import type { PlainRoute } from '../lib/http/apollo-http.js';
import { isUuid } from '../lib/ids.js';
import type { ServiceClient } from '../lib/service-client.js';
import { ARCHIVE_ROUTE } from '../lib/workflows/offboarding.js';
import type { Authenticator, Principal } from './authenticate.js';

export const EXPORTS_PATH = '/exports';
const ARCHIVE_PATH = /^\/exports\/([0-9a-fA-F-]{36})\/([a-z-]+)\.ndjson$/;

export interface ExportRoutesOptions {
  authenticator: Pick<Authenticator, 'authenticate'>;
  services: Pick<ServiceClient, 'stream' | 'post'>;
}

/** A platform admin, by Bearer token; UNAUTHENTICATED or TENANT_FORBIDDEN otherwise. */
async function platformAdmin(req: http.IncomingMessage, authenticator: ExportRoutesOptions['authenticator']): Promise<Principal> {
  if (typeof req.headers.authorization !== 'string') {
    if (req.headers['x-api-key'] !== undefined) throw new TenantForbiddenError('Export archives are for platform admins only');
    throw new UnauthenticatedError('Export archives are for platform admins: send a Bearer token');
  }
  const principal = await authenticator.authenticate(req);
  if (principal.kind !== 'user' || !principal.roles.includes('platform_admin')) throw new TenantForbiddenError('Export archives are for platform admins only');
  return principal;
}

/** The gateway's archive route, to spread into its routes. */
export function exportRoutes({ authenticator, services }: ExportRoutesOptions): Record<string, PlainRoute> {
  return {
    [`${EXPORTS_PATH}/*`]: async (req) => {
      if (req.method !== 'GET') throw new MethodNotAllowedError(`${EXPORTS_PATH} takes GET`);
      const principal = await platformAdmin(req, authenticator);
      const match = ARCHIVE_PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
      const domain = match?.[2] as DataDomain | undefined;
      if (!match || !isUuid(match[1]) || !domain || !DATA_DOMAINS.includes(domain)) {
        throw new NotFoundError(`No such archive: ask for ${EXPORTS_PATH}/<tenant id>/<${DATA_DOMAINS.join('|')}>.ndjson`);
      }
      const tenantId = match[1].toLowerCase();
      const archive = await services.stream(domain, ARCHIVE_ROUTE, { tenantId });
      try {
        await services.post('tenancy', 'export-downloaded', {
          tenantId,
          domain,
          principalId: principal.id,
          principalKind: principal.kind,
          roles: principal.roles,
          // The gateway's own id, never the client's: a client must not choose an audit record's request id.
          requestId: randomUUID(),
        });
      } catch (error) {
        archive.body.destroy();
        throw error;
      }
      return {
        status: 200,
        body: archive.body,
        headers: {
          'content-type': 'application/x-ndjson; charset=utf-8',
          'content-disposition': `attachment; filename="${tenantId}-${domain}.ndjson"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
      };
    },
  };
}
