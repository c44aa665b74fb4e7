/** Writes the demo fleet's partners and tenants (idempotent: existing ids are left alone). */
import type pg from 'pg';
import type { DemoFleet } from '../../lib/demo/fleet.js';

export async function seedTenancy(client: pg.ClientBase, fleet: DemoFleet, anchor: Date): Promise<void> {
  const { partners, tenants } = fleet;
  await client.query(
    `INSERT INTO tenancy.partners (id, slug, name, brand_name, allowed_scopes)
     SELECT id, slug, name, brand_name, string_to_array(allowed_scopes, ' ')
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS p(id, slug, name, brand_name, allowed_scopes)
     ON CONFLICT (id) DO NOTHING`,
    [
      partners.map((p) => p.id),
      partners.map((p) => p.slug),
      partners.map((p) => p.name),
      partners.map((p) => p.brandName),
      // unnest would flatten a text[][]: each partner's scopes travel as one space-separated string.
      partners.map((p) => p.allowedScopes.join(' ')),
    ],
  );
  await client.query(
    `INSERT INTO tenancy.tenants (id, slug, name, segment, tier, region, placement, cohort, status, partner_id, created_at)
     SELECT id, slug, name, segment, tier, region, placement, cohort, status, partner_id, $11::timestamptz - make_interval(days => age)
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::uuid[], $12::int[])
         AS t(id, slug, name, segment, tier, region, placement, cohort, status, partner_id, age)
     ON CONFLICT (id) DO NOTHING`,
    [
      tenants.map((t) => t.id),
      tenants.map((t) => t.slug),
      tenants.map((t) => t.name),
      tenants.map((t) => t.segment),
      tenants.map((t) => t.tier),
      tenants.map((t) => t.region),
      tenants.map((t) => t.placement),
      tenants.map((t) => t.cohort),
      tenants.map((t) => t.status),
      tenants.map((t) => t.partnerId),
      anchor,
      tenants.map((t) => t.ageDays),
    ],
  );
}
