/**
 * Internal routes the gateway calls (with a signed service context) to build request contexts,
 * to record the security events that must be committed before a request runs, and to serve and
 * audit offboarding archives.
 */
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import type { InternalRoute } from '../../lib/subgraph/index.js';
import { lookupApiKey } from './api-keys.js';
import { ARCHIVE_ROUTE, archiveRoute } from '../../lib/workflows/offboarding.js';
import { lookupMember } from './members.js';
import { exportDownloadedRoute } from './offboarding-view.js';
import { recordSecurityEvent } from './security-events.js';
import { fetchTenantAccess } from './tenant-access.js';

export const tenancyInternalRoutes: Record<string, InternalRoute> = {
  /** `GET /internal/tenant-access?tenantId=…` → TenantAccess, or `{ "tenant": null }` when it does not exist. */
  'tenant-access': async (params, db, caller) => {
    const tenantId = params.get('tenantId');
    if (!isUuid(tenantId)) throw new BadUserInputError('tenantId must be a UUID');
    const [access] = await db.withTenant(caller, (tx) => fetchTenantAccess(tx, [tenantId.toLowerCase()]));
    return { tenant: access ?? null };
  },
  /** `GET /internal/api-key?hash=<sha256 hex>` → ApiKeyLookup. */
  'api-key': async (params, db, caller) => {
    const hash = params.get('hash');
    if (!hash || !/^[0-9a-f]{64}$/.test(hash)) throw new BadUserInputError('hash must be a SHA-256 hex digest');
    return db.withTenant(caller, (tx) => lookupApiKey(tx, hash));
  },
  /** `GET /internal/member?tenantId=…&principalId=user:…` → `{ member: { status, roles } | null }`. */
  member: async (params, db, caller) => {
    const tenantId = params.get('tenantId');
    const principalId = params.get('principalId');
    if (!isUuid(tenantId)) throw new BadUserInputError('tenantId must be a UUID');
    if (!principalId || !/^user:.{1,200}$/.test(principalId)) throw new BadUserInputError('principalId must be a user principal');
    return { member: await db.withTenant(caller, (tx) => lookupMember(tx, tenantId.toLowerCase(), principalId)) };
  },
  /** `POST /internal/security-event` with a SecurityEvent body → `{ id }` once it is committed. */
  'security-event': (_params, db, caller, body) => recordSecurityEvent(db, caller, body),
  /** `GET /internal/export-archive?tenantId=…` → the tenant's tenancy archive (lib/workflows/offboarding.ts). */
  [ARCHIVE_ROUTE]: archiveRoute,
  /** `POST /internal/export-downloaded` with the download → `{ recorded: true }` once audited (offboarding-view.ts). */
  'export-downloaded': exportDownloadedRoute,
};
