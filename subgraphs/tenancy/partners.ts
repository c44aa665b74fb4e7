/** White-label partners, resolved in batches (a tenant sees only its own partner). */
import type { Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import type { TenancyContext } from './context.js';

export interface PartnerRow {
  id: string;
  slug: string;
  name: string;
  brand_name: string;
  /** Scopes the partner's API keys may carry (set by the platform). */
  allowed_scopes: string[];
}

const COLUMNS = 'id, slug, name, brand_name, allowed_scopes';

export async function fetchPartnersByIds(tx: Tx, ids: readonly string[]): Promise<PartnerRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<PartnerRow>(`SELECT ${COLUMNS} FROM partners WHERE id = ANY($1::uuid[])`, [valid]);
}

export const partnerResolvers = {
  Query: {
    partners: (_: unknown, __: unknown, ctx: TenancyContext) => ctx.db.withTenant(ctx.tenant, fetchVisiblePartners),
  },
  Partner: {
    __resolveReference(reference: { id: string }, ctx: TenancyContext) {
      return ctx.loaders.partnerById.load(reference.id);
    },
    brandName: (row: PartnerRow) => row.brand_name,
    allowedScopes: (row: PartnerRow) => row.allowed_scopes,
  },
};

export async function fetchVisiblePartners(tx: Tx): Promise<PartnerRow[]> {
  return tx.query<PartnerRow>(`SELECT ${COLUMNS} FROM partners ORDER BY slug`);
}
