/** Patients, read and registered within the current tenant. */
import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';
import { assertTenantLevel, pageSize, requireDate, requireText, uniqueViolation } from './requests.js';

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

export const PATIENT_COLUMNS = "id, tenant_id, mrn, given_name, family_name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, email, phone";
const MAX_PATIENTS = 200;

export async function fetchPatientsByIds(tx: Tx, ids: readonly string[]): Promise<PatientRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients WHERE id = ANY($1::uuid[])`, [valid]);
}

export interface CreatePatientInput {
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  email?: string | null;
  phone?: string | null;
}

/** The input, checked. Messages name the argument, never the value: every one of them is PHI. */
export function validatePatient(input: CreatePatientInput, today = new Date().toISOString().slice(0, 10)) {
  const mrn = input.mrn.trim();
  if (!/^[A-Za-z0-9-]{3,40}$/.test(mrn)) throw new BadUserInputError('input.mrn must be 3–40 letters, digits or dashes', { argument: 'input.mrn' });
  const birthDate = requireDate(input.birthDate, 'input.birthDate');
  if (birthDate > today || birthDate < '1900-01-01') throw new BadUserInputError('input.birthDate must be between 1900-01-01 and today', { argument: 'input.birthDate' });
  const email = input.email == null || input.email.trim() === '' ? null : input.email.trim();
  if (email !== null && (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) {
    throw new BadUserInputError('input.email must be an e-mail address', { argument: 'input.email' });
  }
  const phone = input.phone == null || input.phone.trim() === '' ? null : input.phone.trim();
  if (phone !== null && !/^\+?[0-9][0-9 ().-]{5,22}[0-9]$/.test(phone)) {
    throw new BadUserInputError('input.phone must be a phone number (digits, spaces, dashes, an optional leading +)', { argument: 'input.phone' });
  }
  return {
    mrn,
    givenName: requireText(input.givenName, 'input.givenName', 1, 100),
    familyName: requireText(input.familyName, 'input.familyName', 1, 100),
    birthDate,
    email,
    phone,
  };
}

/** Registers a patient; an MRN the tenant uses already is refused, nothing written. */
export async function createPatient(db: Database, tenant: TenantContext & { tenantId: string }, raw: CreatePatientInput): Promise<PatientRow> {
  const input = validatePatient(raw);
  return db.withTenant(tenant, async (tx) => {
    try {
      const [row] = await tx.query<PatientRow>(
        `INSERT INTO patients (id, tenant_id, mrn, given_name, family_name, birth_date, email, phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${PATIENT_COLUMNS}`,
        [randomUUID(), tenant.tenantId, input.mrn, input.givenName, input.familyName, input.birthDate, input.email, input.phone],
      );
      return row!;
    } catch (error) {
      if (uniqueViolation(error) === 'patients_tenant_id_mrn_key') throw new BadUserInputError('input.mrn belongs to another patient of the tenant', { argument: 'input.mrn' });
      throw error;
    }
  });
}

export const patientResolvers = {
  Query: {
    patient: (_: unknown, args: { id: string }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return ctx.loaders.patientById.load(requireUuid(args.id, 'id'));
    },
    patients: async (_: unknown, args: { first?: number | null }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const first = pageSize(args.first, 20, MAX_PATIENTS);
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients ORDER BY mrn LIMIT $1`, [first]));
      for (const row of rows) ctx.loaders.patientById.prime(row.id, row);
      return rows;
    },
  },
  Mutation: {
    createPatient: (_: unknown, args: { input: CreatePatientInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return createPatient(ctx.db, ctx.tenant, args.input);
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
    coverages: (row: PatientRow, _: unknown, ctx: ClinicalContext) => ctx.loaders.coveragesByPatient.load(row.id),
  },
};
