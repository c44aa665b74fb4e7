/**
 * Tenants: reading one, listing a page (keyset pagination by slug), and resolving Tenant
 * entity references in batches.
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenancyContext } from './context.js';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  segment: string;
  tier: string;
  region: string;
  placement: string;
  cohort: string;
  status: string;
  partner_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, slug, name, segment, tier, region, placement, cohort, status, partner_id, created_at';
export const MAX_PAGE_SIZE = 500;

/** Rows for the given ids that row-level security lets the transaction see. */
export async function fetchTenantsByIds(tx: Tx, ids: readonly string[]): Promise<TenantRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = ANY($1::uuid[])`, [valid]);
}

interface TenantPage {
  rows: TenantRow[];
  hasNextPage: boolean;
  totalCount: number;
}

/** One page after `afterSlug`, with the total visible count, in a single statement. */
export async function fetchTenantPage(tx: Tx, first: number, afterSlug: string | null): Promise<TenantPage> {
  const rows = await tx.query<TenantRow & { total_count: string }>(
    `SELECT ${COLUMNS}, (SELECT count(*) FROM tenants) AS total_count
       FROM tenants
      WHERE $1::text IS NULL OR slug > $1
      ORDER BY slug
      LIMIT $2`,
    [afterSlug, first + 1],
  );
  let totalCount = Number(rows[0]?.total_count ?? 0);
  if (rows.length === 0 && afterSlug !== null) {
    totalCount = Number((await tx.query<{ n: string }>('SELECT count(*) AS n FROM tenants'))[0]?.n ?? 0);
  }
  return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount };
}

export const encodeCursor = (slug: string): string => Buffer.from(`tenant:${slug}`).toString('base64url');

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith('tenant:') || decoded.length <= 'tenant:'.length) {
    throw new BadUserInputError('after is not a cursor returned by tenants', { argument: 'after' });
  }
  return decoded.slice('tenant:'.length);
}

const toEnum = (value: string) => value.toUpperCase();

export const tenantResolvers = {
  Query: {
    async tenant(_: unknown, args: { id: string }, ctx: TenancyContext) {
      return ctx.loaders.tenantById.load(requireUuid(args.id, 'id'));
    },
    async tenants(_: unknown, args: { first?: number | null; after?: string | null }, ctx: TenancyContext) {
      const first = args.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
        throw new BadUserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { argument: 'first' });
      }
      const afterSlug = args.after ? decodeCursor(args.after) : null;
      const page = await ctx.db.withTenant(ctx.tenant, (tx) => fetchTenantPage(tx, first, afterSlug));
      for (const row of page.rows) ctx.loaders.tenantById.prime(row.id, row);
      const edges = page.rows.map((row) => ({ cursor: encodeCursor(row.slug), node: row }));
      return {
        edges,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      };
    },
  },
  Tenant: {
    __resolveReference(reference: { id: string }, ctx: TenancyContext) {
      return ctx.loaders.tenantById.load(reference.id);
    },
    segment: (row: TenantRow) => toEnum(row.segment),
    tier: (row: TenantRow) => toEnum(row.tier),
    placement: (row: TenantRow) => toEnum(row.placement),
    cohort: (row: TenantRow) => toEnum(row.cohort),
    status: (row: TenantRow) => toEnum(row.status),
    createdAt: (row: TenantRow) => row.created_at.toISOString(),
    partner: (row: TenantRow, _: unknown, ctx: TenancyContext) =>
      row.partner_id ? ctx.loaders.partnerById.load(row.partner_id) : null,
  },
};
