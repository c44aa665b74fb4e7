/**
 * Writes the demo tenants' synthetic patients and their appointments (idempotent). A tenant
 * placed in a database of its own already is left alone: its rows live there now, and writing
 * them again here would put a copy back in the shared tables.
 */
import type pg from 'pg';
import { demoAppointments, demoPatients, type DemoFleet } from '../../lib/demo/fleet.js';

export async function seedClinicalOps(client: pg.ClientBase, fleet: DemoFleet, anchor: Date): Promise<void> {
  const placed = new Set(
    (await client.query<{ tenant_id: string }>(`SELECT tenant_id FROM clinical_ops.workspaces WHERE placement = 'isolated'`)).rows.map((row) => row.tenant_id),
  );
  for (const tenant of fleet.tenants) {
    if (placed.has(tenant.id)) continue;
    const patients = demoPatients(tenant);
    const appointments = demoAppointments(tenant, patients);
    await client.query(
      `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date, email, phone)
       SELECT id, $1::uuid, mrn, given_name, family_name, birth_date, email, phone
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::text[])
           AS p(id, mrn, given_name, family_name, birth_date, email, phone)
       ON CONFLICT (id) DO NOTHING`,
      [
        tenant.id,
        patients.map((p) => p.id),
        patients.map((p) => p.mrn),
        patients.map((p) => p.givenName),
        patients.map((p) => p.familyName),
        patients.map((p) => p.birthDate),
        patients.map((p) => p.email),
        patients.map((p) => p.phone),
      ],
    );
    await client.query(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason)
       SELECT id, $1::uuid, patient_id, $2::timestamptz + make_interval(mins => offset_minutes), duration, status, reason
         FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::int[], $7::text[], $8::text[])
           AS a(id, patient_id, offset_minutes, duration, status, reason)
       ON CONFLICT (id) DO NOTHING`,
      [
        tenant.id,
        anchor,
        appointments.map((a) => a.id),
        appointments.map((a) => a.patientId),
        appointments.map((a) => a.offsetMinutes),
        appointments.map((a) => a.durationMinutes),
        appointments.map((a) => a.status),
        appointments.map((a) => a.reason),
      ],
    );
  }
}
