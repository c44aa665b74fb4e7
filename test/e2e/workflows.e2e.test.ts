/**
 * The four workflows end to end (docs/workloads.md), through the gateway, clinical-ops' worker
 * and the simulators over real HTTP: a claim reaches the payer once and ends ACCEPTED or REJECTED
 * with the payer's answer; an eligibility check records the 271; a reminder and a visit record
 * are delivered once; each is metered; and with the payer failing 30% of the time every claim
 * still ends ACCEPTED, REJECTED or dead-lettered — none lost, none received twice.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { startTestSimulators, type TestSimulators } from '../../simulators/test-support.js';
import { fhirProblems } from '../../subgraphs/clinical-ops/fhir/test-support.js';
import { scheduleReminders } from '../../subgraphs/clinical-ops/workflows/reminder-schedule.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import { appUrl, Database, resolveBindingKey } from '../../lib/db/index.js';
import { periodicContext } from '../../lib/jobs/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, pinTenantIntegrations, scratchTenant, startTestPlatform, startTestWorkers, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
let simulators: TestSimulators;
let workers: RunningWorker[] = [];
let tenantId: string;
const ids = { patient: randomUUID(), rejectedPatient: randomUUID(), provider: randomUUID(), location: randomUUID(), coverage: randomUUID(), inactive: randomUUID(), unknownMember: randomUUID(), appointment: randomUUID() };
let savedPolicy: Record<string, unknown> | undefined;
const neighbours: string[] = [];

const clinician = () => bearer(['clinician'], { tenantId, subject: 'workflows-clinician' });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

async function ok<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await graphql<T>(platform.gateway.url, query, { variables, headers: await clinician() });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}

const CLAIM_FIELDS = 'id status attempts lastErrorCode payerClaimId payerReasons totalMinor submittedAt run { status attempts }';
const SUBMIT = `mutation S($input: SubmitClaimInput!) { submitClaim(input: $input) { ${CLAIM_FIELDS} } }`;
const CLAIM = `query C($id: ID!) { claim(id: $id) { ${CLAIM_FIELDS} fhir } }`;
const claimInput = (coverageId = ids.coverage, patientId = ids.patient) => ({
  patientId,
  coverageId,
  providerId: ids.provider,
  locationId: ids.location,
  serviceDate: '2026-11-20',
  diagnosisCodes: ['J06.9'],
  lines: [
    { procedureCode: '99213', chargeMinor: 12_500 },
    { procedureCode: '87880', chargeMinor: 2_750, units: 1 },
  ],
});

interface ClaimView {
  id: string;
  status: string;
  attempts: number;
  payerClaimId: string | null;
  payerReasons: string[];
  totalMinor: number;
  fhir?: string;
}
const claimOf = async (id: string) => (await ok<{ claim: ClaimView }>(CLAIM, { id })).claim;
const finished = (id: string, timeoutMs = 30_000) =>
  waitFor(
    `claim ${id} finished`,
    async () => {
      const claim = await claimOf(id);
      return ['ACCEPTED', 'REJECTED', 'DEAD_LETTERED'].includes(claim.status) ? claim : undefined;
    },
    timeoutMs,
  );

beforeAll(async () => {
  simulators = await startTestSimulators({ SIMULATORS_SEED: '7' });
  platform = await startTestPlatform();
  // Claims retried within the test's time: 200 ms, doubling to 1.6 s, 8 attempts (restored after).
  [savedPolicy] = await adminQuery(`SELECT max_attempts, backoff_base_ms, backoff_max_ms FROM clinical_ops.workflow_retry_policies WHERE workflow = 'claims'`);
  await adminQuery(`UPDATE clinical_ops.workflow_retry_policies SET backoff_base_ms = 200, backoff_max_ms = 1600 WHERE workflow = 'claims'`);
  workers = await startTestWorkers([clinicalWorker], {}, { SIMULATORS_URL: simulators.url });
  tenantId = await scratchTenant('Workflows Clinic');
  // Its jobs call these simulators whichever test file's worker runs them.
  await pinTenantIntegrations(tenantId, simulators.url);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [tenantId]);
  const sql = [
    [`INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date, email, phone) VALUES ($1, $2, 'WF-1', 'Ada', 'Quill', '1980-04-02', 'ada@example.com', '+15555550123')`, [ids.patient, tenantId]],
    [`INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date) VALUES ($1, $2, 'WF-2', 'Bo', 'Reed', '1975-09-30')`, [ids.rejectedPatient, tenantId]],
    [`INSERT INTO clinical_ops.providers (id, tenant_id, npi, name, specialty) VALUES ($1, $2, '1234567893', 'Dr. Lin Park', 'family medicine')`, [ids.provider, tenantId]],
    [`INSERT INTO clinical_ops.locations (id, tenant_id, name, timezone) VALUES ($1, $2, 'Main Street Clinic', 'America/New_York')`, [ids.location, tenantId]],
    [`INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, plan_name, relationship, start_date) VALUES ($1, $2, $3, 'acme-health', 'ACM123456789', 'Acme Gold', 'self', '2026-01-01')`, [ids.coverage, tenantId, ids.patient]],
    [`INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, plan_name, relationship, start_date) VALUES ($1, $2, $3, 'acme-health', 'ACM123450000', 'Acme Lapsed', 'self', '2026-01-01')`, [ids.inactive, tenantId, ids.rejectedPatient]],
    [`INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, plan_name, relationship, start_date) VALUES ($1, $2, $3, 'northstar-care', 'NS-1234-569999', 'Northstar Basic', 'self', '2026-01-01')`, [ids.unknownMember, tenantId, ids.rejectedPatient]],
    [`INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, provider_id, location_id, starts_at, duration_minutes, status, reason) VALUES ($1, $2, $3, $4, $5, now() + interval '2 days', 30, 'scheduled', 'follow-up')`, [ids.appointment, tenantId, ids.patient, ids.provider, ids.location]],
  ] as const;
  for (const [text, values] of sql) await adminQuery(text, [...values]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await simulators?.close();
  if (savedPolicy) await adminQuery(`UPDATE clinical_ops.workflow_retry_policies SET backoff_base_ms = $1, backoff_max_ms = $2 WHERE workflow = 'claims'`, [savedPolicy.backoff_base_ms, savedPolicy.backoff_max_ms]);
  if (tenantId) await dropScratchTenants([tenantId, ...neighbours]);
});

describe('the clinical workflows', () => {
  it('submits a claim to the payer once and records its acceptance, as a FHIR Claim too', async () => {
    const submitted = (await ok<{ submitClaim: ClaimView }>(SUBMIT, { input: claimInput() })).submitClaim;
    expect(submitted).toMatchObject({ status: 'QUEUED', attempts: 0, totalMinor: 15_250, payerClaimId: null });
    const claim = await finished(submitted.id);
    expect(claim).toMatchObject({ status: 'ACCEPTED', attempts: 1, payerReasons: [] });
    expect(claim.payerClaimId).toMatch(/^PCN-/);
    const fhir = JSON.parse(claim.fhir!) as Parameters<typeof fhirProblems>[0] & { total?: unknown };
    expect(fhir).toMatchObject({ resourceType: 'Claim', total: { value: 152.5, currency: 'USD' } });
    // A valid R4 Claim, by the R4 definitions.
    expect(fhirProblems(fhir)).toEqual([]);
    const stats = await simulators.stats();
    expect(stats.payer_claims).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 0 });
    const usage = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.outbox WHERE tenant_id = $1 AND type = 'clinical-ops.usage.recorded' AND payload->>'meter' = 'claims_submitted'`, [tenantId]);
    expect(usage[0]!.n).toBe(1);
  });

  it('records a payer’s rejection with its reasons, and refuses bad claims writing nothing', async () => {
    const submitted = (await ok<{ submitClaim: ClaimView }>(SUBMIT, { input: claimInput(ids.unknownMember, ids.rejectedPatient) })).submitClaim;
    // Member ids ending in 9999 are unknown to the simulated payer.
    expect(await finished(submitted.id)).toMatchObject({ status: 'REJECTED', payerReasons: [expect.stringMatching(/member not found/)] });
    // Listed by status, filtered in the database.
    const listed = async (status: string) => (await ok<{ claims: { id: string; status: string }[] }>('query L($s: ClaimStatus) { claims(status: $s, first: 200) { id status } }', { s: status })).claims;
    expect((await listed('REJECTED')).map((claim) => claim.id)).toEqual([submitted.id]);
    expect((await listed('ACCEPTED')).every((claim) => claim.status === 'ACCEPTED' && claim.id !== submitted.id)).toBe(true);
    expect(await listed('ACCEPTED')).toHaveLength(1);
    const before = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM clinical_ops.claims WHERE tenant_id = $1`, [tenantId]);
    const bad = [
      { ...claimInput(), lines: [] },
      { ...claimInput(), lines: [{ procedureCode: '99213', chargeMinor: 12.5 }] },
      { ...claimInput(), diagnosisCodes: ['not a code'] },
      { ...claimInput(), serviceDate: '2999-01-01' },
      { ...claimInput(ids.coverage, ids.rejectedPatient) },
    ];
    for (const input of bad) {
      expect(codesOf(await graphql(platform.gateway.url, SUBMIT, { variables: { input }, headers: await clinician() }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(await adminQuery(`SELECT count(*)::int AS n FROM clinical_ops.claims WHERE tenant_id = $1`, [tenantId])).toEqual(before);
  });

  it('checks eligibility and records the payer’s answer', async () => {
    const CHECK = `mutation E($input: CheckEligibilityInput!) { checkEligibility(input: $input) { id status } }`;
    const READ = `query R($id: ID!) { eligibilityCheck(id: $id) { status attempts result { active planName copayMinor deductibleRemainingMinor } } }`;
    const done = async (id: string) =>
      waitFor(`check ${id} done`, async () => {
        const check = (await ok<{ eligibilityCheck: { status: string; result: { active: boolean } | null } }>(READ, { id })).eligibilityCheck;
        return check.status === 'SUCCEEDED' ? check : undefined;
      });
    const active = (await ok<{ checkEligibility: { id: string } }>(CHECK, { input: { coverageId: ids.coverage, providerId: ids.provider } })).checkEligibility;
    expect((await done(active.id)).result).toMatchObject({ active: true });
    const lapsed = (await ok<{ checkEligibility: { id: string } }>(CHECK, { input: { coverageId: ids.inactive, providerId: ids.provider } })).checkEligibility;
    expect((await done(lapsed.id)).result).toMatchObject({ active: false });
  });

  it('reminds the patient once and files the visit record with the EHR once', async () => {
    const reminder = (
      await ok<{ sendAppointmentReminder: { id: string } }>(`mutation M($a: ID!) { sendAppointmentReminder(appointmentId: $a, channel: SMS) { id status } }`, { a: ids.appointment })
    ).sendAppointmentReminder;
    const sent = await waitFor('the reminder sent', async () => {
      const view = (await ok<{ reminder: { status: string; messageId: string | null } }>(`query Q($id: ID!) { reminder(id: $id) { status messageId } }`, { id: reminder.id })).reminder;
      return view.status === 'SUCCEEDED' ? view : undefined;
    });
    expect(sent.messageId).toMatch(/^msg_/);
    const record = (await ok<{ fileVisitRecord: { id: string } }>(`mutation F($a: ID!) { fileVisitRecord(appointmentId: $a) { id status } }`, { a: ids.appointment })).fileVisitRecord;
    const filed = await waitFor('the visit record filed', async () => {
      const view = (await ok<{ visitRecord: { status: string; ehrReference: string | null } }>(`query Q($id: ID!) { visitRecord(id: $id) { status ehrReference } }`, { id: record.id })).visitRecord;
      return view.status === 'SUCCEEDED' ? view : undefined;
    });
    expect(filed.ehrReference).toMatch(/^Appointment\//);
    const stats = await simulators.stats();
    expect(stats.messaging).toMatchObject({ received: 1, duplicatesAnswered: 0 });
    expect(stats.ehr).toMatchObject({ received: 1, duplicatesAnswered: 0 });
  });

  it('reminds of tomorrow’s appointments by schedule, once however often the schedule runs', async () => {
    const tomorrow = randomUUID();
    await adminQuery(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, provider_id, location_id, starts_at, duration_minutes, status, reason) VALUES ($1, $2, $3, $4, $5, now() + interval '20 hours', 30, 'scheduled', 'check-up')`,
      [tomorrow, tenantId, ids.patient, ids.provider, ids.location],
    );
    const db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 1, bindingKey: resolveBindingKey(testConfig()) });
    try {
      const job = { db, context: periodicContext('clinical-ops') };
      expect((await scheduleReminders(job)).get(tenantId)).toBe(1);
      expect((await scheduleReminders(job)).get(tenantId)).toBeUndefined();
    } finally {
      await db.close();
    }
    const [reminder] = await adminQuery<{ id: string; channel: string }>('SELECT id, channel FROM clinical_ops.reminders WHERE appointment_id = $1', [tomorrow]);
    expect(reminder!.channel).toBe('sms');
    await waitFor('the scheduled reminder sent', async () => {
      const [row] = await adminQuery<{ message_id: string | null }>('SELECT message_id FROM clinical_ops.reminders WHERE id = $1', [reminder!.id]);
      return row?.message_id ? true : undefined;
    });
  });

  it('keeps another tenant’s eligibility checks moving while one tenant floods the queue', async () => {
    const other = await scratchTenant('Workflows Neighbour Clinic');
    await pinTenantIntegrations(other, simulators.url);
    neighbours.push(other);
    await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = $1`, [other]);
    const theirs = { patient: randomUUID(), provider: randomUUID(), coverage: randomUUID() };
    await adminQuery(`INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date) VALUES ($1, $2, 'NB-1', 'Cy', 'Vale', '1990-01-15')`, [theirs.patient, other]);
    await adminQuery(`INSERT INTO clinical_ops.providers (id, tenant_id, npi, name, specialty) VALUES ($1, $2, '1234567893', 'Dr. Rae Holt', 'pediatrics')`, [theirs.provider, other]);
    await adminQuery(
      `INSERT INTO clinical_ops.insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, plan_name, relationship, start_date) VALUES ($1, $2, $3, 'acme-health', 'ACM111222333', 'Acme Bronze', 'self', '2026-01-01')`,
      [theirs.coverage, other, theirs.patient],
    );
    // Every answer takes 250 ms: the flooding tenant, one check at a time (standard tier), needs 10 s for its 40.
    await simulators.setKnobs({ payer_eligibility: { latencyMs: 250 } });
    const CHECK = `mutation E($input: CheckEligibilityInput!) { checkEligibility(input: $input) { id } }`;
    const flood: string[] = [];
    for (let n = 0; n < 40; n += 1) flood.push((await ok<{ checkEligibility: { id: string } }>(CHECK, { input: { coverageId: ids.coverage, providerId: ids.provider } })).checkEligibility.id);
    const neighbour = await bearer(['clinician'], { tenantId: other, subject: 'workflows-neighbour' });
    const mine: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      const response = await graphql<{ checkEligibility: { id: string } }>(platform.gateway.url, CHECK, { variables: { input: { coverageId: theirs.coverage, providerId: theirs.provider } }, headers: neighbour });
      mine.push(response.body.data!.checkEligibility.id);
    }
    const statusOf = (runIds: string[]) => adminQuery<{ status: string }>('SELECT status FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])', [runIds]);
    await waitFor('the neighbour’s checks answered', async () => ((await statusOf(mine)).every((run) => run.status === 'succeeded') ? true : undefined), 15_000);
    // Answered while most of the flood still waits its turn.
    const floodLeft = (await statusOf(flood)).filter((run) => run.status !== 'succeeded').length;
    expect(floodLeft).toBeGreaterThan(20);
    await simulators.setKnobs({ payer_eligibility: { latencyMs: 0 } });
    await waitFor('the flood drained', async () => ((await statusOf(flood)).every((run) => run.status === 'succeeded') ? true : undefined), 60_000);
  });

  it('with the payer failing 30% of the time, ends every claim ACCEPTED, REJECTED or dead-lettered, none lost, none received twice', async () => {
    await simulators.call('POST', '/admin/reset');
    await simulators.setKnobs({ payer_claims: { failureRate: 0.3 } });
    const submitted: string[] = [];
    for (let n = 0; n < 20; n += 1) submitted.push((await ok<{ submitClaim: ClaimView }>(SUBMIT, { input: claimInput() })).submitClaim.id);
    const outcomes = await Promise.all(submitted.map((id) => finished(id, 60_000)));
    const statuses = outcomes.map((claim) => claim.status);
    expect(statuses.every((status) => ['ACCEPTED', 'REJECTED', 'DEAD_LETTERED'].includes(status))).toBe(true);
    const accepted = outcomes.filter((claim) => claim.status === 'ACCEPTED');
    const stats = await simulators.stats();
    // Each claim the payer received, it received under one key, once; every received claim was recorded.
    expect(stats.payer_claims).toMatchObject({ received: accepted.length, distinctKeys: accepted.length, duplicatesAnswered: 0 });
    expect(new Set(accepted.map((claim) => claim.payerClaimId)).size).toBe(accepted.length);
    expect((stats.payer_claims!.outcomes).failed).toBeGreaterThan(0);
    expect(outcomes.some((claim) => claim.attempts > 1)).toBe(true);
  });
});
