/** Writes one subscription per demo tenant (idempotent). */
import type pg from 'pg';
import { demoUuid, type DemoFleet } from '../../lib/demo/fleet.js';

export async function seedErp(client: pg.ClientBase, fleet: DemoFleet, anchor: Date): Promise<void> {
  const { tenants } = fleet;
  await client.query(
    `INSERT INTO erp.subscriptions (id, tenant_id, plan_code, status, started_at)
     SELECT id, tenant_id, plan_code, status, $5::timestamptz - make_interval(days => age)
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $6::int[]) AS s(id, tenant_id, plan_code, status, age)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [
      tenants.map((t) => demoUuid(`subscription:${t.index}`)),
      tenants.map((t) => t.id),
      tenants.map((t) => t.planCode),
      tenants.map((t) => t.subscriptionStatus),
      anchor,
      tenants.map((t) => t.ageDays),
    ],
  );
}
