/**
 * The seeded demo fleet's clinical records, as the database holds them (the global setup seeds 40
 * tenants and places the isolated ones in databases of their own): every demo appointment is
 * booked with a provider and a location, no provider or location holds two overlapping
 * SCHEDULED/CHECKED_IN appointments (nor any two that were not canceled), every member id has its
 * payer's format, and an isolated tenant's providers, locations and coverages moved with it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionDatabaseUrl, tenantDatabaseName } from '../../lib/db/tenant-databases.js';
import { demoAppointments, demoFleet, demoPatients } from '../../lib/demo/fleet.js';
import { adminClient, adminUrl } from '../../test/support/platform.js';
import { demoRecords } from './demo-records.js';
import { isValidNpi } from './providers.js';

const fleet = demoFleet(40).tenants;
const isolated = fleet.filter((tenant) => tenant.placement === 'isolated');

/**
 * Problems in one database's clinical tables, as SQL finds them, among the demo fleet's rows only
 * (other suites running at the same time write scratch tenants' rows of their own).
 */
async function problemsIn(client: pg.Client): Promise<Record<string, number>> {
  const ids = fleet.map((tenant) => tenant.id);
  const count = async (sql: string) => (await client.query<{ n: number }>(sql, [ids])).rows[0]!.n;
  const overlapping = (column: string, statuses: string) => `
    SELECT count(*)::int AS n FROM clinical_ops.appointments a JOIN clinical_ops.appointments b
      ON a.${column} = b.${column} AND a.id < b.id AND a.tenant_id = ANY($1::uuid[])
     AND a.status IN (${statuses}) AND b.status IN (${statuses})
     AND a.starts_at < b.starts_at + make_interval(mins => b.duration_minutes)
     AND b.starts_at < a.starts_at + make_interval(mins => a.duration_minutes)`;
  return {
    unbooked: await count('SELECT count(*)::int AS n FROM clinical_ops.appointments WHERE (provider_id IS NULL OR location_id IS NULL) AND tenant_id = ANY($1::uuid[])'),
    providerConflicts: await count(overlapping('provider_id', "'scheduled', 'checked_in'")),
    locationConflicts: await count(overlapping('location_id', "'scheduled', 'checked_in'")),
    providerDoubleBooked: await count(overlapping('provider_id', "'scheduled', 'checked_in', 'completed', 'no_show'")),
    locationDoubleBooked: await count(overlapping('location_id', "'scheduled', 'checked_in', 'completed', 'no_show'")),
    memberIdsOffFormat: await count(
      'SELECT count(*)::int AS n FROM clinical_ops.insurance_coverages c JOIN clinical_ops.payers p ON p.id = c.payer_id WHERE c.member_id !~ p.member_id_pattern AND c.tenant_id = ANY($1::uuid[])',
    ),
    crossTenantBookings: await count(
      `SELECT count(*)::int AS n FROM clinical_ops.appointments a
         LEFT JOIN clinical_ops.providers p ON p.id = a.provider_id LEFT JOIN clinical_ops.locations l ON l.id = a.location_id
        WHERE (p.tenant_id <> a.tenant_id OR l.tenant_id <> a.tenant_id) AND a.tenant_id = ANY($1::uuid[])`,
    ),
  };
}

const CLEAN = { unbooked: 0, providerConflicts: 0, locationConflicts: 0, providerDoubleBooked: 0, locationDoubleBooked: 0, memberIdsOffFormat: 0, crossTenantBookings: 0 };

let admin: pg.Client;
beforeAll(async () => {
  admin = await adminClient();
});
afterAll(() => admin?.end());

async function inOwnDatabase<T>(tenant: (typeof fleet)[number], work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: regionDatabaseUrl(adminUrl(), {}, tenant.region, tenantDatabaseName(adminUrl(), tenant.region, tenant.id)) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('the seeded clinical records', () => {
  it('are booked without conflicts and with well-formed member ids in the shared database', async () => {
    expect(await problemsIn(admin)).toEqual(CLEAN);
  });

  it('are booked without conflicts in every isolated tenant’s own database, which holds its providers, locations and coverages', async () => {
    expect(isolated.length).toBeGreaterThan(0);
    for (const tenant of isolated) {
      const records = demoRecords(tenant, demoPatients(tenant), demoAppointments(tenant, demoPatients(tenant)), new Date());
      const counts = await inOwnDatabase(tenant, async (client) => {
        expect(await problemsIn(client)).toEqual(CLEAN);
        const n = async (table: string) => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenant.id])).rows[0]!.n;
        return { providers: await n('providers'), locations: await n('locations'), coverages: await n('insurance_coverages') };
      });
      expect(counts).toEqual({ providers: records.providers.length, locations: records.locations.length, coverages: records.coverages.length });
      const pooled = await admin.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM clinical_ops.providers WHERE tenant_id = $1) + (SELECT count(*) FROM clinical_ops.insurance_coverages WHERE tenant_id = $1) AS n`,
        [tenant.id],
      );
      expect(Number(pooled.rows[0]!.n)).toBe(0);
    }
  });

  it('gives every demo tenant at least three providers and two locations, and most patients a coverage', async () => {
    const { rows } = await admin.query<{ tenant_id: string; providers: number; locations: number; insured: number; patients: number }>(
      `SELECT p.tenant_id,
              (SELECT count(*)::int FROM clinical_ops.providers v WHERE v.tenant_id = p.tenant_id) AS providers,
              (SELECT count(*)::int FROM clinical_ops.locations l WHERE l.tenant_id = p.tenant_id) AS locations,
              count(DISTINCT c.patient_id)::int AS insured, count(DISTINCT p.id)::int AS patients
         FROM clinical_ops.patients p LEFT JOIN clinical_ops.insurance_coverages c ON c.patient_id = p.id
        WHERE p.tenant_id = ANY($1::uuid[]) GROUP BY p.tenant_id`,
      [fleet.filter((tenant) => tenant.placement === 'pooled').map((tenant) => tenant.id)],
    );
    expect(rows.length).toBe(fleet.length - isolated.length);
    for (const row of rows) {
      expect(row.providers).toBeGreaterThanOrEqual(3);
      expect(row.locations).toBeGreaterThanOrEqual(2);
      expect(row.insured / row.patients).toBeGreaterThan(0.5);
    }
  });

  it("agrees with the database's npi_is_valid on every seeded NPI and on near misses", async () => {
    const { rows } = await admin.query<{ npi: string }>('SELECT npi FROM clinical_ops.providers');
    const samples = [...rows.map((row) => row.npi), ...rows.slice(0, 50).map((row) => `${row.npi.slice(0, 9)}${(Number(row.npi[9]) + 1) % 10}`), '1234567893', '123456789x'];
    const { rows: judged } = await admin.query<{ npi: string; valid: boolean }>('SELECT npi, clinical_ops.npi_is_valid(npi) AS valid FROM unnest($1::text[]) AS n(npi)', [samples]);
    for (const { npi, valid } of judged) expect(valid, npi).toBe(isValidNpi(npi));
    expect(judged.filter((row) => row.valid).length).toBe(rows.length + 1);
  });
});
