/**
 * The FHIR R4 export in GraphQL: `Patient.fhir`, `Appointment.fhir` and `Coverage.fhir` (the
 * record as FHIR JSON text, PHI like the record) and `fhirBundle(resourceType, first)`, a
 * searchset Bundle of the current tenant's resources of one type. The bundle is read at tenant
 * level only and audited record by record, as if each resource's `fhir` field had been read; it
 * is not served under break-glass, whose grant names single patients (phi-audit.ts refuses it).
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { Tx } from '../../../lib/db/index.js';
import { APPOINTMENT_COLUMNS, type AppointmentRow } from '../appointments.js';
import type { ClinicalContext } from '../context.js';
import { COVERAGE_SELECT, type CoverageRow } from '../coverage.js';
import { PATIENT_COLUMNS, type PatientRow } from '../patients.js';
import { assertTenantLevel, pageSize } from '../requests.js';
import { toFhirAppointment } from './appointment.js';
import { searchsetBundle } from './bundle.js';
import { toFhirCoverage } from './coverage.js';
import { toFhirPatient } from './patient.js';

export type FhirResourceType = 'PATIENT' | 'APPOINTMENT' | 'COVERAGE';
export const MAX_BUNDLE_ENTRIES = 1000;

/** A record and its FHIR resource: the record is what the PHI audit names. */
export interface Exported {
  recordType: 'Patient' | 'Appointment' | 'Coverage';
  row: PatientRow | AppointmentRow | CoverageRow;
  resource: Resource & { id: string };
}

/**
 * The first `first` of the bound tenant's resources of one type, in a stable order (patients by
 * MRN, appointments by start, coverages by start date), and how many there are in all.
 */
export async function exportResources(tx: Tx, type: FhirResourceType, first: number): Promise<{ items: Exported[]; total: number }> {
  switch (type) {
    case 'PATIENT': {
      const rows = await tx.query<PatientRow>(`SELECT ${PATIENT_COLUMNS} FROM patients ORDER BY mrn, id LIMIT $1`, [first]);
      const [{ n }] = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM patients')) as [{ n: number }];
      return { items: rows.map((row) => ({ recordType: 'Patient', row, resource: toFhirPatient(row) })), total: n };
    }
    case 'APPOINTMENT': {
      const rows = await tx.query<AppointmentRow>(`SELECT ${APPOINTMENT_COLUMNS} FROM appointments ORDER BY starts_at, id LIMIT $1`, [first]);
      const [{ n }] = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM appointments')) as [{ n: number }];
      return { items: rows.map((row) => ({ recordType: 'Appointment', row, resource: toFhirAppointment(row) })), total: n };
    }
    case 'COVERAGE': {
      const rows = await tx.query<CoverageRow>(`${COVERAGE_SELECT} ORDER BY c.start_date, c.id LIMIT $1`, [first]);
      const [{ n }] = (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM insurance_coverages')) as [{ n: number }];
      return { items: rows.map((row) => ({ recordType: 'Coverage', row, resource: toFhirCoverage(row) })), total: n };
    }
  }
}

export const fhirResolvers = {
  Query: {
    fhirBundle: async (_: unknown, args: { resourceType: FhirResourceType; first?: number | null }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const first = pageSize(args.first, 50, MAX_BUNDLE_ENTRIES);
      const { items, total } = await ctx.db.withTenant(ctx.tenant, (tx) => exportResources(tx, args.resourceType, first));
      // Each resource in the bundle is a read of that record's PHI, audited as such.
      for (const item of items) ctx.loaders.phiAudit.record({ typeName: item.recordType, fieldName: 'fhir', source: item.row, breakGlass: false }, ctx.tenant);
      return JSON.stringify(searchsetBundle(items.map((item) => item.resource), total, randomUUID()));
    },
  },
  Patient: { fhir: (row: PatientRow) => JSON.stringify(toFhirPatient(row)) },
  Appointment: { fhir: (row: AppointmentRow) => JSON.stringify(toFhirAppointment(row)) },
  Coverage: { fhir: (row: CoverageRow) => JSON.stringify(toFhirCoverage(row)) },
};
