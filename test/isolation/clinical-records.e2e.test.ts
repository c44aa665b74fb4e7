/**
 * Isolation of the clinical records: tenant A's clinician (or admin) sees none of tenant B's
 * providers, locations, appointments or coverages — not in lists, not by id, not in the FHIR
 * export — and cannot book, reschedule, move or end B's records, nor book A's appointments with
 * B's provider, location or patient: each attempt is refused as if the record did not exist, and
 * B's rows are unchanged. Nothing of A is written by any of these attempts either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, bearer, graphql } from '../support/platform.js';
import { codesOf, expectNoDataOf, isolationWorld, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
/** B's seeded record ids, added to the world's secrets of B. */
const ofB = { provider: '', location: '', appointment: '', coverage: '' };
const ofA = { provider: '', location: '' };
let snapshotOfB = '';

/** B's clinical rows and A's counts, as the admin sees them: compared before and after the attacks. */
async function snapshot(): Promise<string> {
  const admin = await adminClient();
  try {
    const rowsOf = async (table: string, tenant: string) =>
      (await admin.query(`SELECT to_jsonb(t) AS row FROM clinical_ops.${table} t WHERE tenant_id = $1 ORDER BY id`, [tenant])).rows;
    const countOf = async (table: string, tenant: string) => (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenant])).rows[0]!.n;
    const tables = ['providers', 'locations', 'appointments', 'insurance_coverages', 'patients'];
    return JSON.stringify({
      b: await Promise.all(tables.map((table) => rowsOf(table, world.b))),
      a: await Promise.all(tables.map((table) => countOf(table, world.a))),
    });
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  world = await isolationWorld();
  const admin = await adminClient();
  try {
    const first = async (sql: string, tenant: string) => (await admin.query<{ id: string }>(sql, [tenant])).rows[0]!.id;
    ofB.provider = await first('SELECT id FROM clinical_ops.providers WHERE tenant_id = $1 ORDER BY id LIMIT 1', world.b);
    ofB.location = await first('SELECT id FROM clinical_ops.locations WHERE tenant_id = $1 ORDER BY id LIMIT 1', world.b);
    ofB.appointment = await first("SELECT id FROM clinical_ops.appointments WHERE tenant_id = $1 AND status = 'scheduled' ORDER BY id LIMIT 1", world.b);
    ofB.coverage = await first("SELECT id FROM clinical_ops.insurance_coverages WHERE tenant_id = $1 AND status = 'active' ORDER BY id LIMIT 1", world.b);
    ofA.provider = await first('SELECT id FROM clinical_ops.providers WHERE tenant_id = $1 ORDER BY id LIMIT 1', world.a);
    ofA.location = await first('SELECT id FROM clinical_ops.locations WHERE tenant_id = $1 ORDER BY id LIMIT 1', world.a);
    const { rows } = await admin.query<{ id: string; member_id: string | null; npi: string | null }>(
      `SELECT id, NULL AS member_id, npi FROM clinical_ops.providers WHERE tenant_id = $1
       UNION ALL SELECT id, NULL, NULL FROM clinical_ops.locations WHERE tenant_id = $1
       UNION ALL SELECT id, NULL, NULL FROM clinical_ops.appointments WHERE tenant_id = $1
       UNION ALL SELECT id, member_id, NULL FROM clinical_ops.insurance_coverages WHERE tenant_id = $1`,
      [world.b],
    );
    world.secretsOfB.push(...rows.flatMap((row) => [row.id, ...(row.member_id ? [row.member_id] : []), ...(row.npi ? [row.npi] : [])]));
  } finally {
    await admin.end();
  }
  snapshotOfB = await snapshot();
});
afterAll(() => world?.close());

const clinicianOfA = () => bearer(['clinician'], { tenantId: world.a, subject: 'isolation-records-dr-a' });
const call = async (query: string, variables: Record<string, unknown> = {}) => graphql(world.gateway, query, { variables, headers: await clinicianOfA() });
const argumentOf = (response: Awaited<ReturnType<typeof call>>) => response.body.errors?.[0]?.extensions?.argument;

describe("tenant B's clinical records, from tenant A", () => {
  it('appear in no list and no FHIR export of A', async () => {
    const lists = await call('{ providers(first: 200, includeInactive: true) { id npi name } locations(first: 200, includeInactive: true) { id name } }');
    expect(lists.body.errors).toBeUndefined();
    expect((lists.body.data!.providers as unknown[]).length).toBeGreaterThan(0);
    expectNoDataOf(world, lists.text);
    for (const type of ['PATIENT', 'APPOINTMENT', 'COVERAGE']) {
      const bundle = await call(`{ fhirBundle(resourceType: ${type}, first: 1000) }`);
      expect(bundle.body.errors).toBeUndefined();
      expect(JSON.parse(bundle.body.data!.fhirBundle as string).total).toBeGreaterThan(0);
      expectNoDataOf(world, bundle.text);
    }
    const patient = await call('query Q($id: ID!) { patient(id: $id) { coverages { id memberId fhir } appointments { id provider { id } location { id } fhir } } }', { id: world.patientOfA });
    expect(patient.body.errors).toBeUndefined();
    expectNoDataOf(world, patient.text);
  });

  it('resolve to null by id', async () => {
    const response = await call('query Q($id: ID!) { appointment(id: $id) { id status fhir provider { id } } }', { id: ofB.appointment });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({ appointment: null });
    expectNoDataOf(world, response.text);
  });

  it("cannot be moved, rescheduled, ended or re-activated, and A cannot book with B's provider, location or patient", async () => {
    const future = new Date(Date.now() + 40 * 86_400_000).toISOString();
    const attempts: [string, Record<string, unknown>, string, string?][] = [
      ['mutation C($id: ID!) { changeAppointmentStatus(id: $id, status: CANCELED) { id } }', { id: ofB.appointment }, 'NOT_FOUND'],
      ['mutation R($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { id } }', { input: { id: ofB.appointment, startsAt: future } }, 'NOT_FOUND'],
      ['mutation E($id: ID!) { endCoverage(id: $id, endDate: "2099-01-01") { id } }', { id: ofB.coverage }, 'NOT_FOUND'],
      ['mutation P($id: ID!) { setProviderActive(id: $id, active: false) { id } }', { id: ofB.provider }, 'NOT_FOUND'],
      ['mutation L($id: ID!) { setLocationActive(id: $id, active: false) { id } }', { id: ofB.location }, 'NOT_FOUND'],
      [
        'mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) { id } }',
        { input: { patientId: world.patientOfA, providerId: ofB.provider, locationId: ofA.location, startsAt: future, durationMinutes: 30, reason: 'x' } },
        'BAD_USER_INPUT',
        'input.providerId',
      ],
      [
        'mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) { id } }',
        { input: { patientId: world.patientOfA, providerId: ofA.provider, locationId: ofB.location, startsAt: future, durationMinutes: 30, reason: 'x' } },
        'BAD_USER_INPUT',
        'input.locationId',
      ],
      [
        'mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) { id } }',
        { input: { patientId: world.patientOfB, providerId: ofA.provider, locationId: ofA.location, startsAt: future, durationMinutes: 30, reason: 'x' } },
        'BAD_USER_INPUT',
        'input.patientId',
      ],
      [
        'mutation A($input: AddCoverageInput!) { addCoverage(input: $input) { id } }',
        { input: { patientId: world.patientOfB, payerId: 'acme-health', memberId: 'ACM000000001', planName: 'Silver PPO', relationship: 'SELF', startDate: '2025-01-01' } },
        'BAD_USER_INPUT',
        'input.patientId',
      ],
    ];
    for (const [query, variables, code, argument] of attempts) {
      const response = await call(query, variables);
      expect(codesOf(response.body), query).toEqual([code]);
      if (argument) expect(argumentOf(response)).toBe(argument);
      expectNoDataOf(world, response.text);
    }
    expect(await snapshot()).toBe(snapshotOfB);
  });

  it("refuses A's users on B's tenant, and A's bundle to A's tenant admin (no PHI scope)", async () => {
    const asB = await graphql(world.gateway, '{ providers { id } }', { headers: { ...(await clinicianOfA()), 'x-tenant-id': world.b } });
    expect(codesOf(asB.body)).toEqual(['TENANT_FORBIDDEN']);
    expectNoDataOf(world, asB.text.replace(world.b, ''));
    const tenantAdminOfA = await bearer(['tenant_admin'], { tenantId: world.a, subject: 'isolation-records-admin-a' });
    const bundle = await graphql(world.gateway, '{ fhirBundle(resourceType: PATIENT) }', { headers: tenantAdminOfA });
    expect(codesOf(bundle.body)).toEqual(['PHI_ACCESS_DENIED']);
    expect(await snapshot()).toBe(snapshotOfB);
  });
});
