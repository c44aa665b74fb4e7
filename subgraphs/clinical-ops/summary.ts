/** Tenant.clinicalSummary: patient and upcoming-appointment counts, all requested tenants in one statement. */
import DataLoader from 'dataloader';
import type { Database, Tx } from '../../lib/db/index.js';
import { isUuid } from '../../lib/ids.js';
import { mayActOnTenant, type TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';

export interface SummaryRow {
  tenant_id: string;
  patient_count: number;
  upcoming_appointment_count: number;
  no_show_rate: number | null;
}

export async function fetchSummaries(tx: Tx, tenantIds: readonly string[]): Promise<SummaryRow[]> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<SummaryRow>(
    `SELECT k.tenant_id,
            (SELECT count(*)::int FROM patients p WHERE p.tenant_id = k.tenant_id) AS patient_count,
            (SELECT count(*)::int FROM appointments a
              WHERE a.tenant_id = k.tenant_id AND a.status = 'scheduled' AND a.starts_at >= now()) AS upcoming_appointment_count,
            (SELECT (count(*) FILTER (WHERE a.status = 'no_show'))::float8 / nullif(count(*), 0) FROM appointments a
              WHERE a.tenant_id = k.tenant_id AND a.status IN ('completed', 'no_show')
                AND a.starts_at >= now() - interval '90 days' AND a.starts_at < now()) AS no_show_rate
       FROM unnest($1::uuid[]) AS k(tenant_id)`,
    [valid],
  );
}

/**
 * Summaries by tenant, one statement per batch and placement: a fleet read at platform level
 * counts pooled tenants in the shared tables and each isolated tenant in its own database.
 */
export function summaryLoader(db: Database, tenant: TenantContext) {
  return new DataLoader<string, SummaryRow | null>(async (tenantIds) => {
    const rows = await db.perPlacement(tenant, tenantIds, fetchSummaries);
    const byTenant = new Map(rows.map((row) => [row.tenant_id, row]));
    return tenantIds.map((id) => byTenant.get(id.toLowerCase()) ?? null);
  });
}

export const summaryResolvers = {
  Tenant: {
    clinicalSummary: async (tenant: { id: string }, _: unknown, ctx: ClinicalContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return null;
      const row = await ctx.loaders.summaryByTenant.load(tenant.id);
      return (
        row && {
          patientCount: row.patient_count,
          upcomingAppointmentCount: row.upcoming_appointment_count,
          noShowRate: row.no_show_rate,
        }
      );
    },
  },
};
