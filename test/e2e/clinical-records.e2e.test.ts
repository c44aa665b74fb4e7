/**
 * Clinical records through the gateway, in a scratch tenant of this suite: providers and
 * locations, patients, appointments booked with both — refused with APPOINTMENT_CONFLICT when a
 * provider, location or patient is taken at that time, exactly one of several concurrent
 * bookings of one slot succeeding — the status lifecycle, rescheduling, coverages and their
 * validation, and the FHIR export with its PHI audit. Every refusal is checked to have written
 * nothing (rows counted as the admin). Also: who may write (clinical:write, tenant level), and a
 * tenant in a database of its own, whose new tables move with it both ways.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveTenantRows, regionDatabaseUrl, tenantDatabaseName } from '../../lib/db/tenant-databases.js';
import { resolvePath } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { fhirProblems } from '../../subgraphs/clinical-ops/fhir/test-support.js';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, type GraphQLResponse } from '../support/platform.js';

let platform: InProcessPlatform;
let tenantId: string;
const scratch: string[] = [];

/** Far enough ahead that every run books on free days. */
const DAY = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const at = (time: string, day = DAY) => `${day}T${time}:00Z`;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenantId = await scratchTenant('Clinical Records Clinic');
  scratch.push(tenantId);
  await adminQuery("UPDATE tenancy.tenants SET status = 'active' WHERE id = $1", [tenantId]);
});
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

const clinician = (tenant = tenantId) => bearer(['clinician'], { tenantId: tenant, subject: `records-dr-${tenant.slice(0, 8)}` });
type Answer = GraphQLResponse<Record<string, Record<string, unknown> | null>>;

async function call(query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<Answer> {
  return graphql(platform.gateway.url, query, { variables, headers: headers ?? (await clinician()) });
}
/** The one root field's answer, failing the test on any error. */
async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<T> {
  const response = await call(query, variables, headers);
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  return Object.values(response.body.data!)[0] as T;
}
const errorOf = (response: Answer) => ({ code: response.body.errors?.[0]?.extensions?.code, argument: response.body.errors?.[0]?.extensions?.argument });

const rows = async (table: string, tenant = tenantId) =>
  (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [tenant]))[0]!.n;

const CREATE_PROVIDER = 'mutation P($input: CreateProviderInput!) { createProvider(input: $input) { id npi name specialty active } }';
const CREATE_LOCATION = 'mutation L($input: CreateLocationInput!) { createLocation(input: $input) { id name timezone active } }';
const CREATE_PATIENT = 'mutation N($input: CreatePatientInput!) { createPatient(input: $input) { id mrn givenName } }';
const SCHEDULE =
  'mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) { id status startsAt endsAt provider { id } location { id } patient { id } } }';
const RESCHEDULE = 'mutation R($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) { id startsAt durationMinutes provider { id } } }';
const STATUS = 'mutation C($id: ID!, $status: AppointmentStatus!) { changeAppointmentStatus(id: $id, status: $status) { id status } }';
const ADD_COVERAGE = 'mutation A($input: AddCoverageInput!) { addCoverage(input: $input) { id status memberId payer { id name } startDate endDate } }';
const END_COVERAGE = 'mutation E($id: ID!, $endDate: String!) { endCoverage(id: $id, endDate: $endDate) { id status endDate } }';

/** NPIs with valid check digits (Luhn over 80840 + nine digits). */
const npiOf = (nine: string) => {
  for (let d = 0; d <= 9; d++) {
    const npi = `${nine}${d}`;
    let sum = 24 + d;
    for (let i = 0; i < 9; i++) {
      const doubled = i % 2 === 0 ? Number(npi[i]) * 2 : Number(npi[i]);
      sum += doubled > 9 ? doubled - 9 : doubled;
    }
    if (sum % 10 === 0) return npi;
  }
  throw new Error('unreachable');
};

interface World {
  providers: string[];
  locations: string[];
  patients: string[];
}
const world: World = { providers: [], locations: [], patients: [] };

describe('providers, locations and patients', () => {
  it('creates them, and refuses bad input without writing anything', async () => {
    for (let i = 0; i < 5; i++) {
      const provider = await ok<{ id: string; npi: string; active: boolean }>(CREATE_PROVIDER, {
        input: { npi: npiOf(`19${String(i).padStart(2, '0')}${tenantId.replace(/\D/g, '').padEnd(5, '0').slice(0, 5)}`), name: `Dr. Test ${i}`, specialty: 'Family medicine' },
      });
      expect(provider.active).toBe(true);
      world.providers.push(provider.id);
      world.locations.push((await ok<{ id: string }>(CREATE_LOCATION, { input: { name: `Room ${i}`, timezone: 'America/Chicago' } })).id);
    }
    for (let i = 0; i < 6; i++) {
      const patient = await ok<{ id: string; givenName: string }>(CREATE_PATIENT, {
        input: { mrn: `CR-${i}`, givenName: 'Robin', familyName: 'Testcase', birthDate: '1985-06-15', email: `robin${i}@example.test`, phone: '+1-555-0150' },
      });
      expect(patient.givenName).toBe('Robin');
      world.patients.push(patient.id);
    }
    const before = { providers: await rows('providers'), locations: await rows('locations'), patients: await rows('patients') };
    expect(before).toEqual({ providers: 5, locations: 5, patients: 6 });

    const refusals: [string, Record<string, unknown>, { code: string; argument: string }][] = [
      [CREATE_PROVIDER, { input: { npi: '1234567890', name: 'Dr. Typo', specialty: 'Cardiology' } }, { code: 'BAD_USER_INPUT', argument: 'input.npi' }],
      [CREATE_PROVIDER, { input: { npi: '12345', name: 'Dr. Short', specialty: 'Cardiology' } }, { code: 'BAD_USER_INPUT', argument: 'input.npi' }],
      [CREATE_PROVIDER, { input: { npi: npiOf('190000000'), name: ' ', specialty: 'Cardiology' } }, { code: 'BAD_USER_INPUT', argument: 'input.name' }],
      [CREATE_LOCATION, { input: { name: 'Moon base', timezone: 'Mars/Olympus' } }, { code: 'BAD_USER_INPUT', argument: 'input.timezone' }],
      [CREATE_LOCATION, { input: { name: 'Room 0', timezone: 'UTC' } }, { code: 'BAD_USER_INPUT', argument: 'input.name' }],
      [CREATE_PATIENT, { input: { mrn: 'CR-0', givenName: 'Dup', familyName: 'Testcase', birthDate: '1990-01-01' } }, { code: 'BAD_USER_INPUT', argument: 'input.mrn' }],
      [CREATE_PATIENT, { input: { mrn: 'CR-X', givenName: 'Feb', familyName: 'Testcase', birthDate: '1990-02-30' } }, { code: 'BAD_USER_INPUT', argument: 'input.birthDate' }],
      [CREATE_PATIENT, { input: { mrn: 'CR-Y', givenName: 'Future', familyName: 'Testcase', birthDate: '2999-01-01' } }, { code: 'BAD_USER_INPUT', argument: 'input.birthDate' }],
      [CREATE_PATIENT, { input: { mrn: 'CR-Z', givenName: 'Mail', familyName: 'Testcase', birthDate: '1990-01-01', email: 'not-an-address' } }, { code: 'BAD_USER_INPUT', argument: 'input.email' }],
    ];
    for (const [query, variables, expected] of refusals) {
      const response = await call(query, variables);
      expect(errorOf(response), JSON.stringify(variables)).toEqual(expected);
      // The message names the argument, never the value.
      expect(response.body.errors![0]!.message).not.toMatch(/Typo|Mars|Olympus|not-an-address|1990-02-30/);
    }
    // A duplicate NPI within the tenant.
    const { npi } = (await adminQuery<{ npi: string }>('SELECT npi FROM clinical_ops.providers WHERE id = $1', [world.providers[0]]))[0]!;
    expect(errorOf(await call(CREATE_PROVIDER, { input: { npi, name: 'Dr. Twin', specialty: 'x' } }))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.npi' });
    expect({ providers: await rows('providers'), locations: await rows('locations'), patients: await rows('patients') }).toEqual(before);

    const listed = await ok<{ id: string }[]>('{ providers { id name } }');
    expect(listed.map((p) => p.id).sort()).toEqual([...world.providers].sort());
  });
});

describe('scheduling', () => {
  const book = (patient: number, provider: number, location: number, startsAt: string, durationMinutes = 30, headers?: Record<string, string>) =>
    call(SCHEDULE, { input: { patientId: world.patients[patient], providerId: world.providers[provider], locationId: world.locations[location], startsAt, durationMinutes, reason: 'Follow-up visit' } }, headers);

  it('books, and refuses an overlap per provider, per location and per patient, writing nothing', async () => {
    const first = await book(0, 0, 0, at('09:00'));
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.scheduleAppointment).toMatchObject({
      status: 'SCHEDULED',
      startsAt: new Date(at('09:00')).toISOString(),
      endsAt: new Date(at('09:30')).toISOString(),
      provider: { id: world.providers[0] },
      location: { id: world.locations[0] },
      patient: { id: world.patients[0] },
    });
    const before = await rows('appointments');
    expect(errorOf(await book(1, 0, 1, at('09:15')))).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.providerId' });
    expect(errorOf(await book(1, 1, 0, at('08:45')))).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.locationId' });
    expect(errorOf(await book(0, 1, 1, at('09:29')))).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.patientId' });
    expect(await rows('appointments')).toBe(before);
    // Back to back is no overlap; another provider at another location at the same time is fine.
    expect((await book(1, 0, 0, at('09:30'))).body.errors).toBeUndefined();
    expect((await book(2, 1, 1, at('09:00'))).body.errors).toBeUndefined();
    expect(await rows('appointments')).toBe(before + 2);
  });

  it('refuses malformed bookings and unknown or inactive participants, writing nothing', async () => {
    const before = await rows('appointments');
    expect(errorOf(await book(3, 2, 2, '2020-01-01T09:00:00Z'))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.startsAt' });
    expect(errorOf(await book(3, 2, 2, `${DAY}T09:00:00`))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.startsAt' });
    expect(errorOf(await book(3, 2, 2, at('12:00'), 2))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.durationMinutes' });
    const unknown = await call(SCHEDULE, { input: { patientId: randomUUID(), providerId: world.providers[2], locationId: world.locations[2], startsAt: at('12:00'), durationMinutes: 30, reason: 'x' } });
    expect(errorOf(unknown)).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.patientId' });
    await ok('mutation D($id: ID!) { setProviderActive(id: $id, active: false) { id active } }', { id: world.providers[4] });
    expect(errorOf(await book(3, 4, 2, at('12:00')))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.providerId' });
    await ok('mutation D($id: ID!) { setProviderActive(id: $id, active: true) { id active } }', { id: world.providers[4] });
    expect(await rows('appointments')).toBe(before);
  });

  it('lets exactly one of concurrent bookings of one provider’s slot through (each at another location, for another patient)', async () => {
    const before = await rows('appointments');
    const attempts = await Promise.all([0, 1, 2, 3, 4].map((i) => book(i, 3, i, at('14:00'), 60)));
    const codes = attempts.map((response) => (response.body.errors ? errorOf(response).code : 'OK'));
    expect(codes.filter((code) => code === 'OK')).toHaveLength(1);
    expect(codes.filter((code) => code === 'APPOINTMENT_CONFLICT')).toHaveLength(4);
    expect(await rows('appointments')).toBe(before + 1);
  });

  it('lets exactly one of concurrent bookings of one location’s slot through (each with another provider)', async () => {
    const before = await rows('appointments');
    const attempts = await Promise.all([0, 1, 2, 3, 4].map((i) => book(i, i, 4, at('16:00'), 45)));
    const codes = attempts.map((response) => (response.body.errors ? errorOf(response).code : 'OK'));
    expect(codes.sort()).toEqual(['APPOINTMENT_CONFLICT', 'APPOINTMENT_CONFLICT', 'APPOINTMENT_CONFLICT', 'APPOINTMENT_CONFLICT', 'OK']);
    expect(await rows('appointments')).toBe(before + 1);
    const [held] = await adminQuery<{ n: number }>(
      `SELECT count(*)::int AS n FROM clinical_ops.appointments WHERE location_id = $1 AND starts_at = $2 AND status = 'scheduled'`,
      [world.locations[4], at('16:00')],
    );
    expect(held!.n).toBe(1);
  });

  it('moves appointments through SCHEDULED → CHECKED_IN → COMPLETED and refuses other moves; a canceled one frees its slot', async () => {
    const booked = await book(5, 2, 2, at('10:00'));
    const id = (booked.body.data!.scheduleAppointment as { id: string }).id;
    const early = await call(STATUS, { id, status: 'COMPLETED' });
    expect(early.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'SCHEDULED', to: 'COMPLETED' });
    expect(await ok(STATUS, { id, status: 'CHECKED_IN' })).toMatchObject({ status: 'CHECKED_IN' });
    // A checked-in visit still holds the slot.
    expect(errorOf(await book(4, 2, 3, at('10:10')))).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.providerId' });
    expect(errorOf(await call(RESCHEDULE, { input: { id, startsAt: at('11:00') } })).code).toBe('INVALID_TRANSITION');
    expect(await ok(STATUS, { id, status: 'COMPLETED' })).toMatchObject({ status: 'COMPLETED' });
    const after = await call(STATUS, { id, status: 'CANCELED' });
    expect(after.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'COMPLETED', to: 'CANCELED' });
    expect((await adminQuery<{ status: string }>('SELECT status FROM clinical_ops.appointments WHERE id = $1', [id]))[0]!.status).toBe('completed');

    const other = (await book(5, 2, 2, at('13:00'))).body.data!.scheduleAppointment as { id: string };
    expect(await ok(STATUS, { id: other.id, status: 'CANCELED' })).toMatchObject({ status: 'CANCELED' });
    expect((await book(4, 2, 2, at('13:00'))).body.errors).toBeUndefined();
    const noShow = (await book(5, 1, 3, at('18:00'))).body.data!.scheduleAppointment as { id: string };
    expect(await ok(STATUS, { id: noShow.id, status: 'NO_SHOW' })).toMatchObject({ status: 'NO_SHOW' });
    expect(errorOf(await call(STATUS, { id: randomUUID(), status: 'CANCELED' })).code).toBe('NOT_FOUND');
  });

  it('reschedules with the conflict check again, its own old slot aside', async () => {
    const booked = (await book(3, 4, 3, at('07:00'))).body.data!.scheduleAppointment as { id: string };
    // Half an hour later overlaps only its own old slot: allowed.
    expect(await ok(RESCHEDULE, { input: { id: booked.id, startsAt: at('07:15') } })).toMatchObject({ startsAt: new Date(at('07:15')).toISOString(), durationMinutes: 30 });
    // Onto provider 0's 09:00 visit: refused, nothing changed.
    const clash = await call(RESCHEDULE, { input: { id: booked.id, startsAt: at('09:10'), providerId: world.providers[0] } });
    expect(errorOf(clash)).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.providerId' });
    const [row] = await adminQuery<{ starts_at: Date; provider_id: string }>('SELECT starts_at, provider_id FROM clinical_ops.appointments WHERE id = $1', [booked.id]);
    expect(row).toEqual({ starts_at: new Date(at('07:15')), provider_id: world.providers[4] });
    // Another provider, longer, elsewhere in the day: fine.
    expect(await ok(RESCHEDULE, { input: { id: booked.id, startsAt: at('20:00'), durationMinutes: 90, providerId: world.providers[0] } })).toMatchObject({
      durationMinutes: 90,
      provider: { id: world.providers[0] },
    });
  });
});

describe('coverages', () => {
  const input = (overrides: Record<string, unknown> = {}) => ({
    patientId: world.patients[0],
    payerId: 'acme-health',
    memberId: 'acm 123 456 789',
    groupNumber: 'GRP-1',
    planName: 'Silver PPO',
    relationship: 'SELF',
    startDate: '2024-01-01',
    ...overrides,
  });

  it('lists the payer directory', async () => {
    const payers = await ok<{ id: string }[]>('{ payers { id name } }');
    expect(payers.map((payer) => payer.id)).toEqual(['acme-health', 'bluepeak', 'medicare-sim', 'northstar-care']);
  });

  it('refuses an unknown payer, a member id off the payer’s format, and dates out of order, writing nothing', async () => {
    const refusals: [Record<string, unknown>, { code: string; argument: string }][] = [
      [{ payerId: 'nowhere-mutual' }, { code: 'UNKNOWN_PAYER', argument: 'input.payerId' }],
      [{ memberId: 'XYZ999' }, { code: 'BAD_USER_INPUT', argument: 'input.memberId' }],
      [{ memberId: '!!' }, { code: 'BAD_USER_INPUT', argument: 'input.memberId' }],
      [{ payerId: 'medicare-sim', memberId: '1EG4TE5MK7S' }, { code: 'BAD_USER_INPUT', argument: 'input.memberId' }],
      [{ endDate: '2023-12-31' }, { code: 'BAD_USER_INPUT', argument: 'input.endDate' }],
      [{ startDate: '2024-13-01' }, { code: 'BAD_USER_INPUT', argument: 'input.startDate' }],
      [{ patientId: randomUUID() }, { code: 'BAD_USER_INPUT', argument: 'input.patientId' }],
    ];
    for (const [overrides, expected] of refusals) {
      const response = await call(ADD_COVERAGE, { input: input(overrides) });
      expect(errorOf(response), JSON.stringify(overrides)).toEqual(expected);
      // A member id is PHI: never echoed.
      expect(response.text).not.toMatch(/XYZ999|1EG4TE5MK7S/);
    }
    expect(await rows('insurance_coverages')).toBe(0);
  });

  it('adds a coverage (member id normalised), refuses it twice while active, ends it once', async () => {
    const coverage = await ok<{ id: string; memberId: string; status: string }>(ADD_COVERAGE, { input: input() });
    expect(coverage).toMatchObject({ memberId: 'ACM123456789', status: 'ACTIVE', payer: { id: 'acme-health', name: 'Acme Health Plans' }, endDate: null });
    expect(errorOf(await call(ADD_COVERAGE, { input: input() }))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.memberId' });
    await ok(ADD_COVERAGE, { input: input({ patientId: world.patients[1], payerId: 'medicare-sim', memberId: '1EG4TE5MK73', groupNumber: null, planName: 'Original Medicare' }) });
    expect(await rows('insurance_coverages')).toBe(2);
    expect(errorOf(await call(END_COVERAGE, { id: coverage.id, endDate: '2023-06-30' })).code).toBe('BAD_USER_INPUT');
    expect(await ok(END_COVERAGE, { id: coverage.id, endDate: '2024-06-30' })).toMatchObject({ status: 'ENDED', endDate: '2024-06-30' });
    expect(errorOf(await call(END_COVERAGE, { id: coverage.id, endDate: '2024-07-31' })).code).toBe('INVALID_TRANSITION');
    // Ended, it may be added again.
    expect((await call(ADD_COVERAGE, { input: input({ startDate: '2024-07-01' }) })).body.errors).toBeUndefined();
    const patient = await ok<{ coverages: { status: string }[] }>('query Q($id: ID!) { patient(id: $id) { coverages { status startDate } } }', { id: world.patients[0] });
    expect(patient.coverages.map((c) => c.status)).toEqual(['ENDED', 'ACTIVE']);
  });
});

describe('the FHIR export', () => {
  it('serves valid R4 resources per record and as a searchset bundle, each resource audited as read', async () => {
    const patient = await ok<{ fhir: string; appointments: { fhir: string }[]; coverages: { fhir: string }[] }>(
      'query Q($id: ID!) { patient(id: $id) { fhir appointments { fhir } coverages { fhir } } }',
      { id: world.patients[0] },
    );
    const resources = [patient.fhir, ...patient.appointments.map((a) => a.fhir), ...patient.coverages.map((c) => c.fhir)].map((text) => JSON.parse(text) as Resource);
    expect(resources.map((resource) => resource.resourceType)).toEqual(expect.arrayContaining(['Patient', 'Appointment', 'Coverage']));
    for (const resource of resources) expect(fhirProblems(resource), resource.resourceType).toEqual([]);

    const since = new Date();
    for (const [type, table] of [['PATIENT', 'patients'], ['APPOINTMENT', 'appointments'], ['COVERAGE', 'insurance_coverages']] as const) {
      const text = await ok<string>('query B($type: FhirResourceType!) { fhirBundle(resourceType: $type, first: 500) }', { type });
      const bundle = JSON.parse(text) as Bundle;
      expect(fhirProblems(bundle)).toEqual([]);
      expect(bundle.total).toBe(await rows(table));
      expect(bundle.entry).toHaveLength(bundle.total!);
    }
    const page = JSON.parse(await ok<string>('{ fhirBundle(resourceType: APPOINTMENT, first: 2) }')) as Bundle;
    expect(page.entry).toHaveLength(2);
    expect(page.total).toBe(await rows('appointments'));
    const [audited] = await adminQuery<{ n: number }>(
      `SELECT count(DISTINCT record_id)::int AS n FROM clinical_ops.phi_access_log WHERE tenant_id = $1 AND record_type = 'Appointment' AND 'fhir' = ANY(fields) AND occurred_at >= $2`,
      [tenantId, since],
    );
    expect(audited!.n).toBe(await rows('appointments'));
  });
});

describe('who may write clinical records', () => {
  it('a tenant admin books (clinical:write) but reads no PHI back; a biller may not write; platform level is refused', async () => {
    const admin = await bearer(['tenant_admin'], { tenantId, subject: 'records-admin' });
    const booked = await call('mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) { id } }', {
      input: { patientId: world.patients[2], providerId: world.providers[2], locationId: world.locations[1], startsAt: at('22:00'), durationMinutes: 15, reason: 'Lab review' },
    }, admin);
    expect(booked.body.errors).toBeUndefined();
    const bundle = await call('{ fhirBundle(resourceType: PATIENT) }', {}, admin);
    expect(errorOf(bundle).code).toBe('PHI_ACCESS_DENIED');

    const before = await rows('providers');
    const biller = await call(CREATE_PROVIDER, { input: { npi: npiOf('199999999'), name: 'Dr. Billing', specialty: 'x' } }, await bearer(['biller'], { tenantId, subject: 'records-biller' }));
    expect(biller.status).toBe(403);
    expect(errorOf(biller).code).toBe('INSUFFICIENT_SCOPE');
    const analyst = await call(CREATE_PROVIDER, { input: { npi: npiOf('199999999'), name: 'Dr. Analyst', specialty: 'x' } }, {
      ...(await bearer(['analyst'], { subject: 'records-analyst' })),
      'x-tenant-id': tenantId,
    });
    expect(errorOf(analyst).code).toBe('INSUFFICIENT_SCOPE');
    const platformLevel = await call('{ providers { id } }', {}, await bearer(['platform_admin'], { subject: 'records-platform' }));
    expect(errorOf(platformLevel).code).toBe('TENANT_FORBIDDEN');
    expect(await rows('providers')).toBe(before);
  });
});

describe('a tenant in a database of its own', () => {
  it('keeps its providers, locations, appointments and coverages there, served by the same resolvers, and moves them back', async () => {
    const own = await scratchTenant('Isolated Records Clinic', { region: 'eu-west' });
    scratch.push(own);
    await adminQuery("UPDATE tenancy.tenants SET status = 'active' WHERE id = $1", [own]);
    const servers = { sharedUrl: adminUrl(), regionServers: {}, statementTimeoutMs: 5000 };
    const set = { schema: 'clinical_ops', directory: resolvePath('subgraphs/clinical-ops/migrations') };
    await moveTenantRows(servers, set, own, 'isolated', 'eu-west', { routeTtlMs: 0, settleMs: 0 });
    const headers = await clinician(own);
    const provider = await ok<{ id: string }>(CREATE_PROVIDER, { input: { npi: npiOf('188888888'), name: 'Dr. Own', specialty: 'Cardiology' } }, headers);
    const location = await ok<{ id: string }>(CREATE_LOCATION, { input: { name: 'Own site', timezone: 'Europe/Dublin' } }, headers);
    const patients = [];
    for (const mrn of ['OWN-1', 'OWN-2']) patients.push(await ok<{ id: string }>(CREATE_PATIENT, { input: { mrn, givenName: 'Quinn', familyName: 'Fictive', birthDate: '1970-01-01' } }, headers));
    const schedule = (patient: { id: string }) =>
      call(SCHEDULE, { input: { patientId: patient.id, providerId: provider.id, locationId: location.id, startsAt: at('09:00'), durationMinutes: 30, reason: 'Consultation' } }, headers);
    expect((await schedule(patients[0]!)).body.errors).toBeUndefined();
    expect(errorOf(await schedule(patients[1]!))).toEqual({ code: 'APPOINTMENT_CONFLICT', argument: 'input.providerId' });
    await ok(ADD_COVERAGE, { input: { patientId: patients[0]!.id, payerId: 'bluepeak', memberId: 'BP12345678K', planName: 'Gold HMO', relationship: 'SELF', startDate: '2025-01-01' } }, headers);

    const name = tenantDatabaseName(adminUrl(), 'eu-west', own);
    const client = new pg.Client({ connectionString: regionDatabaseUrl(adminUrl(), {}, 'eu-west', name) });
    await client.connect();
    try {
      const count = async (table: string) => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.${table} WHERE tenant_id = $1`, [own])).rows[0]!.n;
      expect({ providers: await count('providers'), locations: await count('locations'), appointments: await count('appointments'), coverages: await count('insurance_coverages') }).toEqual({
        providers: 1,
        locations: 1,
        appointments: 1,
        coverages: 1,
      });
      // Its own copy of the payer directory, from the same migration.
      expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM clinical_ops.payers')).rows[0]!.n).toBe(4);
    } finally {
      await client.end();
    }
    expect({ providers: await rows('providers', own), appointments: await rows('appointments', own), coverages: await rows('insurance_coverages', own) }).toEqual({ providers: 0, appointments: 0, coverages: 0 });

    const back = await moveTenantRows(servers, set, own, 'pooled', 'eu-west', { routeTtlMs: 0, settleMs: 0 });
    expect(back.rows).toMatchObject({ providers: 1, locations: 1, patients: 2, appointments: 1, insurance_coverages: 1 });
    expect({ providers: await rows('providers', own), appointments: await rows('appointments', own), coverages: await rows('insurance_coverages', own) }).toEqual({ providers: 1, appointments: 1, coverages: 1 });
  });
});
