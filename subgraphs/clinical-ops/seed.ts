/**
 * Writes the demo tenants' synthetic clinical records (idempotent): patients, providers,
 * locations, appointments booked with them without conflicts, and coverages (demo-records.ts).
 * Appointments seeded before providers existed get theirs filled in: a tenant's demo appointments
 * were all written with one anchor, so the bookings computed now (the same offsets) are free of
 * conflicts for them too. A tenant placed in a
 * database of its own already is left alone: its rows live there now, and writing them again
 * here would put a copy back in the shared tables (a fresh seed places it after writing).
 */
import type pg from 'pg';
import { demoAppointments, demoPatients, type DemoFleet } from '../../lib/demo/fleet.js';
import { demoRecords } from './demo-records.js';

export async function seedClinicalOps(client: pg.ClientBase, fleet: DemoFleet, anchor: Date): Promise<void> {
  const placed = new Set(
    (await client.query<{ tenant_id: string }>(`SELECT tenant_id FROM clinical_ops.workspaces WHERE placement = 'isolated'`)).rows.map((row) => row.tenant_id),
  );
  for (const tenant of fleet.tenants) {
    if (placed.has(tenant.id)) continue;
    const patients = demoPatients(tenant);
    const appointments = demoAppointments(tenant, patients);
    const records = demoRecords(tenant, patients, appointments, anchor);
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
      `INSERT INTO clinical_ops.providers (id, tenant_id, npi, name, specialty)
       SELECT id, $1::uuid, npi, name, specialty FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS p(id, npi, name, specialty)
       ON CONFLICT (id) DO NOTHING`,
      [tenant.id, records.providers.map((p) => p.id), records.providers.map((p) => p.npi), records.providers.map((p) => p.name), records.providers.map((p) => p.specialty)],
    );
    await client.query(
      `INSERT INTO clinical_ops.locations (id, tenant_id, name, timezone)
       SELECT id, $1::uuid, name, timezone FROM unnest($2::uuid[], $3::text[], $4::text[]) AS l(id, name, timezone)
       ON CONFLICT (id) DO NOTHING`,
      [tenant.id, records.locations.map((l) => l.id), records.locations.map((l) => l.name), records.locations.map((l) => l.timezone)],
    );
    const booked = appointments.map((a) => records.bookings.get(a.id)!);
    await client.query(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, provider_id, location_id, starts_at, duration_minutes, status, reason)
       SELECT id, $1::uuid, patient_id, provider_id, location_id, $2::timestamptz + make_interval(mins => offset_minutes), duration, status, reason
         FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::int[], $8::int[], $9::text[], $10::text[])
           AS a(id, patient_id, provider_id, location_id, offset_minutes, duration, status, reason)
       ON CONFLICT (id) DO UPDATE SET provider_id = excluded.provider_id, location_id = excluded.location_id
         WHERE appointments.provider_id IS NULL AND appointments.location_id IS NULL`,
      [
        tenant.id,
        anchor,
        appointments.map((a) => a.id),
        appointments.map((a) => a.patientId),
        booked.map((b) => b.providerId),
        booked.map((b) => b.locationId),
        appointments.map((a) => a.offsetMinutes),
        appointments.map((a) => a.durationMinutes),
        appointments.map((a) => a.status),
        appointments.map((a) => a.reason),
      ],
    );
    const { coverages } = records;
    await client.query(
      `INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, group_number, plan_name, relationship, start_date, end_date, status)
       SELECT id, $1::uuid, patient_id, payer_id, member_id, group_number, plan_name, relationship, start_date, end_date, status
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::date[], $10::date[], $11::text[])
           AS c(id, patient_id, payer_id, member_id, group_number, plan_name, relationship, start_date, end_date, status)
       ON CONFLICT (id) DO NOTHING`,
      [
        tenant.id,
        coverages.map((c) => c.id),
        coverages.map((c) => c.patientId),
        coverages.map((c) => c.payerId),
        coverages.map((c) => c.memberId),
        coverages.map((c) => c.groupNumber),
        coverages.map((c) => c.planName),
        coverages.map((c) => c.relationship),
        coverages.map((c) => c.startDate),
        coverages.map((c) => c.endDate),
        coverages.map((c) => c.status),
      ],
    );
  }
}
