/**
 * Offboarding as platform admins see and act on it: `Tenant.offboarding` (each domain's export,
 * where to download it, the purge and its counts), `purgeTenantNow`, and the internal route the
 * gateway records each archive download through (`export.downloaded`, in the tenant's audit
 * chain, before a byte is sent).
 */
import { z } from 'zod';
import type { Database, Tx } from '../../lib/db/index.js';
import { DATA_DOMAINS } from '../../lib/events/catalog.js';
import { BadUserInputError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { InternalRoute } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appendAudit } from './audit.js';
import { actingOn, requirePlatformAdmin, type TenancyContext } from './context.js';
import { requestPurge } from './offboarding.js';
import { fetchTenantsByIds } from './tenants.js';

/** Where the gateway serves a domain's archive of a tenant. */
export const downloadPath = (tenantId: string, domain: string): string => `/exports/${tenantId}/${domain}.ndjson`;

interface OffboardingRow {
  tenant_id: string;
  status: string;
  offboarded_at: Date | null;
  purge_after: Date | null;
  purge_requested_at: Date | null;
  purged_at: Date | null;
  domains: Array<{
    domain: string;
    tables: Record<string, number>;
    row_count: number;
    bytes: number;
    sha256: string;
    exported_at: string;
    purged_tables: Record<string, number> | null;
    purged_at: string | null;
  }>;
}

/** The offboarding of each tenant that is OFFBOARDING or OFFBOARDED, one statement per batch. */
export async function fetchOffboardingByTenants(tx: Tx, tenantIds: readonly string[]): Promise<OffboardingRow[]> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<OffboardingRow>(
    `SELECT t.id AS tenant_id, t.status, t.offboarded_at, t.purge_requested_at, t.purged_at,
            t.offboarded_at + make_interval(days => t.retention_days) AS purge_after,
            coalesce((SELECT json_agg(json_build_object('domain', d.domain, 'tables', d.tables, 'row_count', d.row_count, 'bytes', d.bytes,
                                                        'sha256', d.sha256, 'exported_at', d.exported_at, 'purged_tables', d.purged_tables,
                                                        'purged_at', d.purged_at))
                        FROM offboarding_domains d WHERE d.tenant_id = t.id), '[]') AS domains
       FROM tenants t WHERE t.id = ANY($1::uuid[]) AND t.status IN ('offboarding', 'offboarded')`,
    [valid],
  );
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const tableRows = (tables: Record<string, number>) => Object.entries(tables).sort(([a], [b]) => a.localeCompare(b)).map(([table, rows]) => ({ table, rows }));

function statusOf(row: OffboardingRow): string {
  if (row.purged_at) return 'PURGED';
  if (row.purge_requested_at) return 'PURGING';
  return row.status === 'offboarded' ? 'OFFBOARDED' : 'EXPORTING';
}

function toOffboarding(row: OffboardingRow) {
  const byDomain = new Map(row.domains.map((domain) => [domain.domain, domain]));
  return {
    status: statusOf(row),
    exports: DATA_DOMAINS.map((domain) => {
      const found = byDomain.get(domain);
      if (!found) return { domain, status: 'PENDING', tables: [], rowCount: 0, bytes: 0, sha256: null, completedAt: null, downloadUrl: null };
      return {
        domain,
        status: found.purged_at ? 'PURGED' : 'COMPLETED',
        tables: tableRows(found.tables),
        rowCount: Number(found.row_count),
        bytes: Number(found.bytes),
        sha256: found.sha256,
        completedAt: iso(found.exported_at),
        downloadUrl: found.purged_at ? null : downloadPath(row.tenant_id, domain),
      };
    }),
    offboardedAt: iso(row.offboarded_at),
    purgeAfter: iso(row.purge_after),
    purgeRequestedAt: iso(row.purge_requested_at),
    purgedAt: iso(row.purged_at),
    purge: row.domains
      .filter((domain) => domain.purged_tables)
      .sort((a, b) => DATA_DOMAINS.indexOf(a.domain as never) - DATA_DOMAINS.indexOf(b.domain as never))
      .flatMap((domain) => tableRows(domain.purged_tables!).map((table) => ({ domain: domain.domain, ...table }))),
  };
}

export const offboardingResolvers = {
  Mutation: {
    /** The purge of an OFFBOARDED tenant past its retention, now rather than at the next sweep. */
    async purgeTenantNow(_: unknown, args: { id: string }, ctx: TenancyContext) {
      requirePlatformAdmin(ctx.tenant, 'purge a tenant');
      const acting = actingOn(ctx.tenant, requireUuid(args.id, 'id'));
      return ctx.db.withTenant(acting, async (tx) => {
        await requestPurge(tx, ctx.db.deriveKey('audit'), acting, 'operator');
        return (await fetchTenantsByIds(tx, [acting.tenantId!]))[0];
      });
    },
  },
  Tenant: {
    async offboarding(tenant: { id: string }, _: unknown, ctx: TenancyContext) {
      // The archives hold every row of the tenant: their whereabouts are the platform admins' business.
      requirePlatformAdmin(ctx.tenant, 'see a tenant’s offboarding');
      const found = await ctx.loaders.offboardingByTenant.load(tenant.id);
      return found ? toOffboarding(found) : null;
    },
  },
};

/** What the gateway reports of a download it is about to serve. */
const downloadSchema = z
  .object({
    tenantId: z.uuid(),
    domain: z.enum(DATA_DOMAINS),
    principalId: z.string().min(1).max(200),
    principalKind: z.enum(['user', 'api_key']),
    roles: z.array(z.string().min(1).max(50)).max(20),
    requestId: z.string().min(1).max(128),
  })
  .strict();

/**
 * `POST /internal/export-downloaded` → `{ recorded: true }` once `export.downloaded` is committed in
 * the tenant's audit chain, as the downloader's act (which domain, and the archive's size and hash
 * as recorded: never its content). NOT_FOUND for a tenant, or a domain archive, that tenancy has
 * no record of: the gateway then serves nothing.
 */
export const exportDownloadedRoute: InternalRoute = async (_params, db: Database, caller: TenantContext, body) => {
  const parsed = downloadSchema.safeParse(body);
  if (!parsed.success) throw new BadUserInputError(`Invalid download record: ${parsed.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')}`);
  const download = parsed.data;
  const tenantId = download.tenantId.toLowerCase();
  await db.withTenant({ access: 'tenant', tenantId, principal: caller.principal }, async (tx) => {
    const [recorded] = await tx.query<{ partner_id: string | null; bytes: string; sha256: string }>(
      `SELECT t.partner_id, d.bytes, d.sha256 FROM tenants t JOIN offboarding_domains d ON d.tenant_id = t.id AND d.domain = $2
        WHERE t.id = $1 AND d.purged_at IS NULL`,
      [tenantId, download.domain],
    );
    if (!recorded) throw new NotFoundError('No export archive of this tenant and domain');
    await appendAudit(
      tx,
      db.deriveKey('audit'),
      { principal: { id: download.principalId, kind: download.principalKind }, roles: download.roles, requestId: download.requestId },
      {
        owner: { tenantId, partnerId: recorded.partner_id },
        action: 'export.downloaded',
        target: `export:${tenantId}:${download.domain}`,
        detail: { domain: download.domain, bytes: Number(recorded.bytes), sha256: recorded.sha256 },
      },
    );
  });
  return { recorded: true };
};
