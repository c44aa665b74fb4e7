/**
 * Writes 24 hours of request telemetry per demo tenant before `now` (one row per five
 * minutes). Latencies and failures are derived from hashes, so the same tenant always gets
 * the same shape. Only tenants without telemetry are written (idempotent).
 */
import type pg from 'pg';
import type { DemoFleet } from '../../lib/demo/fleet.js';

const OPERATIONS = ['TenantDashboard', 'PatientList', 'AppointmentSearch', 'BillingOverview'];

export async function seedObservability(client: pg.ClientBase, fleet: DemoFleet, now: Date): Promise<void> {
  const { tenants } = fleet;
  await client.query(
    `INSERT INTO observability.request_telemetry (tenant_id, occurred_at, operation_name, client_name, duration_ms, outcome)
     SELECT t.tenant_id,
            date_trunc('minute', $3::timestamptz) - make_interval(mins => 5 * n),
            ($4::text[])[1 + (n % array_length($4::text[], 1))],
            CASE WHEN n % 3 = 0 THEN 'clinic-mobile' ELSE 'clinic-web' END,
            40 + abs(hashtext(t.tenant_id::text || n::text)) % 160 + CASE WHEN n % 50 = 0 THEN 600 ELSE 0 END,
            CASE WHEN abs(hashtext(n::text || t.tenant_id::text)) % 1000 < t.error_per_mille THEN 'error' ELSE 'ok' END
       FROM unnest($1::uuid[], $2::int[]) AS t(tenant_id, error_per_mille)
       CROSS JOIN generate_series(0, 287) AS n
      WHERE NOT EXISTS (SELECT 1 FROM observability.request_telemetry r WHERE r.tenant_id = t.tenant_id)`,
    [tenants.map((t) => t.id), tenants.map((t) => t.errorPerMille), now, OPERATIONS],
  );
}
