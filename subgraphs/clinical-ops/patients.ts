/** Patients and their appointments, read within the current tenant. */
import DataLoader from 'dataloader';
import type { Database, Tx } from '../../lib/db/index.js';
import { BadUserInputError, TenantForbiddenError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';

export interface PatientRow {
  id: string;
  tenant_id: string;
  mrn: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  email: string | null;
  phone: string | null;
}

export interface AppointmentRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  starts_at: Date;
  duration_minutes: number;
  status: string;
  reason: string;
}

const PATIENT_COLUMNS = "id, tenant_id, mrn, given_name, family_name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, email, phone";
const MAX_PATIENTS = 200;

export async function fetchPatientsByIds(tx: Tx, ids: readonly string[]): Promise<PatientRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients WHERE id = ANY($1::uuid[])`, [valid]);
}

/** Appointments of many patients in one statement, grouped per patient in key order. */
export function appointmentsByPatientLoader(db: Database, tenant: TenantContext) {
  return new DataLoader<string, AppointmentRow[]>(async (patientIds) => {
    const rows = await db.withTenant(tenant, (tx) =>
      tx.query<AppointmentRow>(
        `SELECT id, tenant_id, patient_id, starts_at, duration_minutes, status, reason
           FROM appointments WHERE patient_id = ANY($1::uuid[]) ORDER BY starts_at`,
        [patientIds.filter(isUuid)],
      ),
    );
    const grouped = new Map<string, AppointmentRow[]>();
    for (const row of rows) grouped.set(row.patient_id, [...(grouped.get(row.patient_id) ?? []), row]);
    return patientIds.map((id) => grouped.get(id) ?? []);
  });
}

/**
 * Clinical records are read inside one tenant only. Row-level security would let a
 * platform-level transaction see every tenant's patients (the fleet's counts need it), so
 * listing and fetching patients is refused here unless the request acts in one tenant.
 */
function assertTenantLevel(tenant: TenantContext): void {
  if (tenant.access !== 'tenant') throw new TenantForbiddenError('Clinical records are read within one tenant: send x-tenant-id');
}

export const patientResolvers = {
  Query: {
    patient: (_: unknown, args: { id: string }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return ctx.loaders.patientById.load(requireUuid(args.id, 'id'));
    },
    patients: async (_: unknown, args: { first?: number | null }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const first = args.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PATIENTS) {
        throw new BadUserInputError(`first must be between 1 and ${MAX_PATIENTS}`, { argument: 'first' });
      }
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients ORDER BY mrn LIMIT $1`, [first]),
      );
      for (const row of rows) ctx.loaders.patientById.prime(row.id, row);
      return rows;
    },
  },
  Patient: {
    // An entity reference outside one tenant resolves to nothing, like a record of another tenant.
    __resolveReference: (reference: { id: string }, ctx: ClinicalContext) =>
      ctx.tenant.access === 'tenant' ? ctx.loaders.patientById.load(reference.id) : null,
    givenName: (row: PatientRow) => row.given_name,
    familyName: (row: PatientRow) => row.family_name,
    birthDate: (row: PatientRow) => row.birth_date,
    appointments: (row: PatientRow, _: unknown, ctx: ClinicalContext) => ctx.loaders.appointmentsByPatient.load(row.id),
  },
  Appointment: {
    startsAt: (row: AppointmentRow) => row.starts_at.toISOString(),
    durationMinutes: (row: AppointmentRow) => row.duration_minutes,
    status: (row: AppointmentRow) => row.status.toUpperCase(),
  },
};
