/** White-label partners, resolved in batches (a tenant sees only its own partner). */
import type { Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import type { TenancyContext } from './context.js';

export interface PartnerRow {
  id: string;
  slug: string;
  name: string;
  brand_name: string;
}

export async function fetchPartnersByIds(tx: Tx, ids: readonly string[]): Promise<PartnerRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<PartnerRow>('SELECT id, slug, name, brand_name FROM partners WHERE id = ANY($1::uuid[])', [valid]);
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
  },
};

export async function fetchVisiblePartners(tx: Tx): Promise<PartnerRow[]> {
  return tx.query<PartnerRow>('SELECT id, slug, name, brand_name FROM partners ORDER BY slug');
}
