/**
 * Isolation: break-glass is a declared grant bound to one tenant, one principal, named
 * patients and an expiry; it is rate-limited per principal, refused at platform level, and
 * every declaration is a security event platform admins list and review. Clinical records are
 * read inside one tenant only, and appointment details are PHI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, bearer, graphql } from '../support/platform.js';
import { codesOf, expectNoDataOf, isolationWorld, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
let otherPatientOfA: string;
beforeAll(async () => {
  world = await isolationWorld();
  const admin = await adminClient();
  const { rows } = await admin.query<{ id: string }>('SELECT id FROM clinical_ops.patients WHERE tenant_id = $1 AND id <> $2 ORDER BY mrn LIMIT 1', [world.a, world.patientOfA]);
  await admin.end();
  otherPatientOfA = rows[0]!.id;
});
afterAll(() => world?.close());

const DECLARE = `mutation D($input: DeclareBreakGlassInput!) { declareBreakGlass(input: $input) { id reason patientIds expiresAt } }`;
const PATIENT = 'query P($id: ID!) { patient(id: $id) { id email } }';
const REASON = 'Patient unconscious in the emergency room';

async function declare(headers: Record<string, string>, patientIds: string[], durationMinutes = 30) {
  return graphql<{ declareBreakGlass: { id: string; patientIds: string[]; expiresAt: string } }>(world.gateway, DECLARE, {
    variables: { input: { reason: REASON, patientIds, durationMinutes } },
    headers,
  });
}

async function rows(sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  const admin = await adminClient();
  try {
    return (await admin.query<Record<string, unknown>>(sql, values)).rows;
  } finally {
    await admin.end();
  }
}

describe('the review\'s attack: platform staff reading patients of every tenant at once', () => {
  it('support with no tenant and a bare reason header is refused before anything runs', async () => {
    const response = await graphql(world.gateway, '{ patients(first: 200) { id givenName familyName birthDate } }', {
      headers: { ...(await bearer(['support'])), 'x-break-glass-reason': 'need to look at something' },
    });
    expect(response.status).toBe(400);
    expect(codesOf(response.body)).toEqual(['BAD_USER_INPUT']);
    expect(response.text).not.toMatch(/@example\.test|givenName":"/);
  });

  it('a grant cannot be declared at platform level', async () => {
    const response = await declare(await bearer(['support'], { subject: 'support-platform' }), [world.patientOfA]);
    expect(codesOf(response.body)).toEqual(['TENANT_FORBIDDEN']);
    expect(await rows("SELECT 1 FROM clinical_ops.break_glass_grants WHERE principal_id = 'user:support-platform'", [])).toEqual([]);
  });

  it('clinical lists are tenant-level only: an analyst or support at platform level gets TENANT_FORBIDDEN and no patient ids', async () => {
    for (const roles of [['analyst'], ['support'], ['platform_admin']] as const) {
      const response = await graphql(world.gateway, '{ patients(first: 200) { id appointments { startsAt status durationMinutes } } }', {
        headers: await bearer([...roles]),
      });
      expect(response.body.data).toBeNull();
      expect(codesOf(response.body)).toContain('TENANT_FORBIDDEN');
      expect(response.text).not.toContain(world.patientOfA);
      expectNoDataOf(world, response.text);
    }
  });

  it('appointment times, status and duration are PHI: an analyst of A gets them null and nothing is audited', async () => {
    const response = await graphql<{ patients: { id: string; appointments: unknown }[] }>(
      world.gateway,
      '{ patients(first: 5) { id appointments { id startsAt status durationMinutes } } }',
      { headers: { ...(await bearer(['analyst'])), 'x-tenant-id': world.a, 'x-request-id': 'analyst-appointments' } },
    );
    expect(response.body.data!.patients).toHaveLength(5);
    for (const patient of response.body.data!.patients) expect(patient.appointments).toBeNull();
    expect(new Set(codesOf(response.body))).toEqual(new Set(['PHI_ACCESS_DENIED']));
    expect(await rows("SELECT 1 FROM clinical_ops.phi_access_log WHERE correlation_id = 'analyst-appointments'", [])).toEqual([]);
  });
});

describe('a declared grant', () => {
  it('lets a tenant admin read the named patient only, audited under the grant', async () => {
    const headers = { ...(await bearer(['tenant_admin'], { tenantId: world.a, subject: 'bg-admin-a' })) };
    const before = await graphql<{ patient: { email: string | null } }>(world.gateway, PATIENT, { variables: { id: world.patientOfA }, headers });
    expect(before.body.data!.patient.email).toBeNull();
    expect(codesOf(before.body)).toEqual(['PHI_ACCESS_DENIED']);

    const declared = await declare(headers, [world.patientOfA]);
    expect(declared.body.errors).toBeUndefined();
    const grant = declared.body.data!.declareBreakGlass;
    expect(grant.patientIds).toEqual([world.patientOfA]);
    expect(Date.parse(grant.expiresAt) - Date.now()).toBeGreaterThan(25 * 60_000);

    const glass = { ...headers, 'x-break-glass-grant': grant.id, 'x-request-id': 'bg-read-named' };
    const named = await graphql<{ patient: { email: string | null } }>(world.gateway, PATIENT, { variables: { id: world.patientOfA }, headers: glass });
    expect(named.body.errors).toBeUndefined();
    expect(named.body.data!.patient.email).toMatch(/@example\.test$/);
    expect(
      await rows('SELECT principal_id, record_id, fields, purpose, break_glass, grant_id FROM clinical_ops.phi_access_log WHERE correlation_id = $1', ['bg-read-named']),
    ).toEqual([{ principal_id: 'user:bg-admin-a', record_id: world.patientOfA, fields: ['email'], purpose: REASON, break_glass: true, grant_id: grant.id }]);

    // Another patient of the same tenant is not covered by the grant.
    const other = await graphql<{ patient: { email: string | null } }>(world.gateway, PATIENT, {
      variables: { id: otherPatientOfA },
      headers: { ...glass, 'x-request-id': 'bg-read-other' },
    });
    expect(other.body.data!.patient.email).toBeNull();
    expect(codesOf(other.body)).toEqual(['PHI_ACCESS_DENIED']);
    expect(await rows('SELECT 1 FROM clinical_ops.phi_access_log WHERE correlation_id = $1', ['bg-read-other'])).toEqual([]);
  });

  it('is refused for another principal, another tenant, and once expired', async () => {
    const owner = await bearer(['clinician'], { tenantId: world.a, subject: 'bg-clinician-a', scopes: ['tenant:read', 'clinical:read'] });
    const declared = await declare(owner, [world.patientOfA]);
    const grantId = declared.body.data!.declareBreakGlass.id;

    const stranger = await graphql(world.gateway, PATIENT, {
      variables: { id: world.patientOfA },
      headers: { ...(await bearer(['tenant_admin'], { tenantId: world.a, subject: 'someone-else' })), 'x-break-glass-grant': grantId },
    });
    expect(stranger.status).toBe(403);
    expect(codesOf(stranger.body)).toEqual(['PHI_ACCESS_DENIED']);

    const support = await bearer(['support'], { subject: 'bg-support-b' });
    const elsewhere = await graphql(world.gateway, PATIENT, {
      variables: { id: world.patientOfB },
      headers: { ...support, 'x-tenant-id': world.b, 'x-break-glass-grant': grantId },
    });
    expect(elsewhere.status).toBe(403);
    expectNoDataOf(world, elsewhere.text);

    const noTenant = await graphql(world.gateway, PATIENT, { variables: { id: world.patientOfA }, headers: { ...support, 'x-break-glass-grant': grantId } });
    expect(noTenant.status).toBe(403);
    expect(codesOf(noTenant.body)).toEqual(['TENANT_FORBIDDEN']);

    await rows("UPDATE clinical_ops.break_glass_grants SET declared_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1", [grantId]);
    const expired = await graphql(world.gateway, PATIENT, { variables: { id: world.patientOfA }, headers: { ...owner, 'x-break-glass-grant': grantId } });
    expect(expired.status).toBe(403);
    expect(codesOf(expired.body)).toEqual(['PHI_ACCESS_DENIED']);
  });

  it('cannot name a patient of another tenant, and bad input changes nothing', async () => {
    const headers = await bearer(['tenant_admin'], { tenantId: world.a, subject: 'bg-input-a' });
    const foreign = await declare(headers, [world.patientOfB]);
    expect(codesOf(foreign.body)).toEqual(['BAD_USER_INPUT']);
    expectNoDataOf(world, foreign.text.replace(world.patientOfB, ''));
    const tooLong = await declare(headers, [world.patientOfA], 24 * 60);
    expect(codesOf(tooLong.body)).toEqual(['BAD_USER_INPUT']);
    const none = await declare(headers, []);
    expect(codesOf(none.body)).toEqual(['BAD_USER_INPUT']);
    expect(await rows("SELECT 1 FROM clinical_ops.break_glass_grants WHERE principal_id = 'user:bg-input-a'", [])).toEqual([]);
  });

  it('an analyst may not declare one', async () => {
    const response = await declare({ ...(await bearer(['analyst'], { subject: 'bg-analyst' })), 'x-tenant-id': world.a }, [world.patientOfA]);
    expect(codesOf(response.body)).toEqual(['INSUFFICIENT_SCOPE']);
  });

  it('is rate-limited per principal across tenants', async () => {
    const support = await bearer(['support'], { subject: 'bg-support-limit' });
    const inA = { ...support, 'x-tenant-id': world.a };
    const inB = { ...support, 'x-tenant-id': world.b };
    const patientOfB = world.patientOfB;
    const outcomes: unknown[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = i % 2 === 0 ? await declare(inA, [world.patientOfA]) : await declare(inB, [patientOfB]);
      outcomes.push(codesOf(response.body)[0] ?? 'ok');
    }
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);
    expect((await rows("SELECT count(*)::int AS n FROM clinical_ops.break_glass_grants WHERE principal_id = 'user:bg-support-limit'", []))[0]!.n).toBe(5);
  });
});

describe('break-glass events', () => {
  const EVENTS = '{ breakGlassEvents(first: 200, unreviewedOnly: true) { id principalId reason patientCount phiReadCount reviewedAt tenant { id } } }';

  it('platform admins list declarations with their PHI read counts and review them', async () => {
    const headers = await bearer(['tenant_admin'], { tenantId: world.a, subject: 'bg-reviewed' });
    const grantId = (await declare(headers, [world.patientOfA])).body.data!.declareBreakGlass.id;
    await graphql(world.gateway, PATIENT, { variables: { id: world.patientOfA }, headers: { ...headers, 'x-break-glass-grant': grantId } });

    const admin = await bearer(['platform_admin']);
    type Event = { id: string; principalId: string; phiReadCount: number; patientCount: number; tenant: { id: string }; reviewedAt: string | null };
    const listed = await graphql<{ breakGlassEvents: Event[] }>(world.gateway, EVENTS, { headers: admin });
    expect(listed.body.errors).toBeUndefined();
    const event = listed.body.data!.breakGlassEvents.find((e) => e.id === grantId);
    expect(event).toMatchObject({ principalId: 'user:bg-reviewed', patientCount: 1, phiReadCount: 1, tenant: { id: world.a }, reviewedAt: null });

    const reviewed = await graphql<{ reviewBreakGlassEvent: { reviewedAt: string | null } }>(
      world.gateway,
      'mutation R($id: ID!) { reviewBreakGlassEvent(id: $id, note: "Confirmed with the ER lead") { reviewedAt } }',
      { variables: { id: grantId }, headers: admin },
    );
    expect(reviewed.body.data!.reviewBreakGlassEvent.reviewedAt).not.toBeNull();
    const after = await graphql<{ breakGlassEvents: Event[] }>(world.gateway, EVENTS, { headers: admin });
    expect(after.body.data!.breakGlassEvents.map((e) => e.id)).not.toContain(grantId);
  });

  it('are not readable by tenant users or analysts', async () => {
    for (const headers of [await bearer(['tenant_admin'], { tenantId: world.a }), await bearer(['analyst'])]) {
      const response = await graphql(world.gateway, EVENTS, { headers });
      expect(response.status).toBe(403);
      expect(codesOf(response.body)).toEqual(['INSUFFICIENT_SCOPE']);
    }
  });
});
