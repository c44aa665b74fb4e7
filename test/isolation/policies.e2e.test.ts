/**
 * Isolation: field policies through the gateway. Removed fields come back null with their
 * path and code, whatever the query's shape (fragments, aliases, variables, @skip/@include);
 * PHI needs a clinical role and scope or a declared break-glass, and every PHI read is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, bearer, graphql } from '../support/platform.js';
import { codesOf, expectNoDataOf, isolationWorld, issueKey, type IsolationWorld } from './fixture.js';

let world: IsolationWorld;
beforeAll(async () => {
  world = await isolationWorld();
});
afterAll(() => world?.close());

type Errors = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];

describe('PHI', () => {
  it('an analyst asking for PHI gets null and PHI_ACCESS_DENIED on each PHI field; nothing is audited', async () => {
    const response = await graphql<{ patients: { id: string; email: string | null; phone: string | null }[] }>(
      world.gateway,
      '{ patients(first: 3) { id email phone } }',
      { headers: { ...(await bearer(['analyst'])), 'x-tenant-id': world.a, 'x-request-id': 'analyst-phi-test' } },
    );
    expect(response.status).toBe(200);
    const patients = response.body.data!.patients;
    expect(patients).toHaveLength(3);
    for (const patient of patients) expect(patient).toEqual({ id: expect.any(String) as unknown, email: null, phone: null });
    const errors = response.body.errors as Errors;
    expect(new Set(errors.map((e) => e.extensions?.code))).toEqual(new Set(['PHI_ACCESS_DENIED']));
    // One error per path pattern: the first occurrence's path, and how many there were.
    expect(errors.map((e) => [e.path, e.extensions?.occurrences])).toEqual([
      [['patients', 0, 'email'], 3],
      [['patients', 0, 'phone'], 3],
    ]);
    expect(response.text).not.toMatch(/@example\.test/);
    const admin = await adminClient();
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM clinical_ops.phi_access_log WHERE correlation_id = 'analyst-phi-test'");
    await admin.end();
    expect(rows[0]!.n).toBe(0);
  });

  it('a clinician of A reads PHI of A, and each read is audited with principal, record, fields and purpose under the gateway\'s request id', async () => {
    const response = await graphql<{ patient: { id: string; givenName: string; email: string } }>(
      world.gateway,
      'query P($id: ID!) { patient(id: $id) { id givenName email appointments { reason } } }',
      {
        variables: { id: world.patientOfA },
        headers: { ...(await bearer(['clinician'], { tenantId: world.a, subject: 'dr-a' })), 'x-purpose-of-use': 'treatment', 'x-request-id': 'clinician-read-1' },
      },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.patient.email).toMatch(/@example\.test$/);
    const admin = await adminClient();
    const { rows } = await admin.query<Record<string, unknown> & { request_id: string }>(
      "SELECT tenant_id, request_id, principal_id, record_type, record_id, fields, purpose, break_glass FROM clinical_ops.phi_access_log WHERE correlation_id = 'clinician-read-1' ORDER BY record_type",
    );
    await admin.end();
    // The client's x-request-id is only a correlation id: the audit is keyed by an id the gateway generated.
    const requestIds = new Set(rows.map((row) => row.request_id));
    expect(requestIds.size).toBe(1);
    expect([...requestIds][0]).toMatch(/^[0-9a-f-]{36}$/);
    const withoutRequestId = rows.map(({ request_id: _id, ...row }) => row);
    expect(withoutRequestId[0]).toEqual({ tenant_id: world.a, principal_id: 'user:dr-a', record_type: 'Appointment', record_id: expect.any(String) as unknown, fields: ['reason'], purpose: 'treatment', break_glass: false });
    expect(withoutRequestId.at(-1)).toEqual({ tenant_id: world.a, principal_id: 'user:dr-a', record_type: 'Patient', record_id: world.patientOfA, fields: ['appointments', 'email', 'givenName'], purpose: 'treatment', break_glass: false });
  });

  it('a clinician of A cannot read a patient of B', async () => {
    const response = await graphql(world.gateway, 'query P($id: ID!) { patient(id: $id) { id mrn email } }', {
      variables: { id: world.patientOfB },
      headers: await bearer(['clinician'], { tenantId: world.a }),
    });
    expect(response.body.data).toEqual({ patient: null });
    expectNoDataOf(world, response.text.replace(world.patientOfB, ''));
  });
});

describe('entitlements and scopes', () => {
  it('a clinician of A (standard plan) asking for a premium field gets ENTITLEMENT_REQUIRED for it, the rest answered', async () => {
    const response = await graphql<{ tenant: { clinicalSummary: { patientCount: number; noShowRate: number | null } } }>(
      world.gateway,
      'query T($id: ID!) { tenant(id: $id) { clinicalSummary { patientCount noShowRate } } }',
      { variables: { id: world.a }, headers: await bearer(['clinician'], { tenantId: world.a }) },
    );
    expect(response.body.data!.tenant.clinicalSummary).toEqual({ patientCount: expect.any(Number) as unknown, noShowRate: null });
    expect(response.body.errors).toEqual([
      expect.objectContaining({ path: ['tenant', 'clinicalSummary', 'noShowRate'], extensions: { code: 'ENTITLEMENT_REQUIRED' } }),
    ]);
  });

  it('a platform admin is not gated by any tenant plan', async () => {
    const response = await graphql<{ tenant: { clinicalSummary: { noShowRate: number | null } } }>(
      world.gateway,
      'query T($id: ID!) { tenant(id: $id) { clinicalSummary { noShowRate } } }',
      { variables: { id: world.a }, headers: await bearer(['platform_admin']) },
    );
    expect(response.body.errors).toBeUndefined();
  });

  it('a partner key without the scope a field needs gets INSUFFICIENT_SCOPE for that field only', async () => {
    const key = await issueKey(world, ['tenant:read', 'billing:read']);
    const response = await graphql<{ tenant: Record<string, unknown> }>(
      world.gateway,
      'query T($id: ID!) { tenant(id: $id) { id subscription { status } clinicalSummary { patientCount } } }',
      { variables: { id: world.a }, headers: { 'x-api-key': key.secret, 'x-tenant-id': world.a } },
    );
    expect(response.body.data!.tenant).toMatchObject({ id: world.a, subscription: { status: expect.any(String) as unknown }, clinicalSummary: null });
    expect(codesOf(response.body)).toEqual(['INSUFFICIENT_SCOPE']);
    expect(response.body.errors![0]!.path).toEqual(['tenant', 'clinicalSummary']);
  });

  it('an operation with nothing left is refused whole (403) and nothing is executed', async () => {
    const response = await graphql(world.gateway, '{ patients { email } plans { code } }'.replace(' plans { code }', ''), {
      headers: await bearer(['biller'], { tenantId: world.a }),
    });
    expect(response.status).toBe(403);
    expect(response.body.data).toBeNull();
    expect(codesOf(response.body)).toEqual(['INSUFFICIENT_SCOPE']);
  });
});

describe('query shapes cannot smuggle a field past the policies', () => {
  const headers = () => bearer(['biller'], { tenantId: world.a });

  it('fragments, inline fragments and aliases', async () => {
    const response = await graphql<{ t: Record<string, unknown> }>(
      world.gateway,
      `query T($id: ID!) { t: tenant(id: $id) { ...Bits ... on Tenant { sneaky: clinicalSummary { patientCount } } } }
       fragment Bits on Tenant { id money: subscription { status } health { requestCount } }`,
      { variables: { id: world.a }, headers: await headers() },
    );
    expect(response.body.data!.t).toEqual({ id: world.a, money: { status: expect.any(String) as unknown }, health: null, sneaky: null });
    const byPath = Object.fromEntries((response.body.errors as Errors).map((e) => [e.path!.join('.'), e.extensions!.code]));
    expect(byPath).toEqual({ 't.health': 'INSUFFICIENT_SCOPE', 't.sneaky': 'INSUFFICIENT_SCOPE' });
  });

  it('variables and @include/@skip: a skipped field raises nothing, an included one is removed', async () => {
    const query = `query T($id: ID!, $withClinical: Boolean!, $skipMoney: Boolean!) {
      tenant(id: $id) { id clinicalSummary @include(if: $withClinical) { patientCount } subscription @skip(if: $skipMoney) { status } } }`;
    const skipped = await graphql<{ tenant: Record<string, unknown> }>(world.gateway, query, {
      variables: { id: world.a, withClinical: false, skipMoney: false },
      headers: await headers(),
    });
    expect(skipped.body.errors).toBeUndefined();
    expect(skipped.body.data!.tenant).toEqual({ id: world.a, subscription: { status: expect.any(String) as unknown } });
    const included = await graphql<{ tenant: Record<string, unknown> }>(world.gateway, query, {
      variables: { id: world.a, withClinical: true, skipMoney: true },
      headers: await headers(),
    });
    expect(included.body.data!.tenant).toEqual({ id: world.a, clinicalSummary: null });
    expect(codesOf(included.body)).toEqual(['INSUFFICIENT_SCOPE']);
  });

  it('a removed field in a list is nulled in every item, reported once with the first item\'s path', async () => {
    const response = await graphql<{ tenants: { edges: { node: Record<string, unknown> }[] } }>(
      world.gateway,
      '{ tenants(first: 3) { edges { node { slug health { requestCount } } } } }',
      { headers: await bearer(['biller'], { tenantId: world.a }) },
    );
    // A biller of A sees only tenant A.
    expect(response.body.data!.tenants.edges).toHaveLength(1);
    expect(response.body.data!.tenants.edges[0]!.node.health).toBeNull();
    expect((response.body.errors as Errors)[0]!.path).toEqual(['tenants', 'edges', 0, 'node', 'health']);
    expectNoDataOf(world, response.text);
  });
});

describe('partner level', () => {
  it('a partner admin without a tenant sees its attributed tenants only', async () => {
    const response = await graphql<{ tenants: { totalCount: number; edges: { node: { id: string; partner: { id: string } } }[] } }>(
      world.gateway,
      '{ tenants(first: 100) { totalCount edges { node { id partner { id } } } } }',
      { headers: await bearer(['partner_admin'], { partnerId: (await import('./fixture.js')).PARTNER.id }) },
    );
    expect(response.body.errors).toBeUndefined();
    const ids = response.body.data!.tenants.edges.map((e) => e.node.id);
    expect(ids).toContain(world.a);
    expect(ids).not.toContain(world.b);
    expect(new Set(response.body.data!.tenants.edges.map((e) => e.node.partner.id)).size).toBe(1);
    expectNoDataOf(world, response.text);
  });
});

describe('entitlement changes', () => {
  it('a governed override granting a feature takes effect within 5 seconds, and its withdrawal too', async () => {
    const admin = await adminClient();
    const { rows: [found] } = await admin.query<{ id: string }>(
      `SELECT t.id FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE s.plan_code = 'standard' AND s.status = 'active' AND t.status = 'active' AND t.id <> $1 ORDER BY t.slug DESC LIMIT 1`,
      [world.a],
    );
    const other = found!;
    const headers = await bearer(['clinician'], { tenantId: other.id });
    const query = 'query T($id: ID!) { tenant(id: $id) { clinicalSummary { noShowRate } } }';
    const entitled = async () => codesOf((await graphql(world.gateway, query, { variables: { id: other.id }, headers })).body).length === 0;
    const waitFor = async (expected: boolean) => {
      const started = Date.now();
      while (Date.now() - started < 5_000) {
        if ((await entitled()) === expected) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`entitlement did not become ${expected} within 5 s`);
    };
    try {
      expect(await entitled()).toBe(false);
      await admin.query(
        "INSERT INTO tenancy.tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by) VALUES ($1, 'advanced_analytics', true, 'pilot', 'ops-lead')",
        [other.id],
      );
      expect(await waitFor(true)).toBeLessThan(5_000);
      await admin.query('DELETE FROM tenancy.tenant_feature_overrides WHERE tenant_id = $1', [other.id]);
      expect(await waitFor(false)).toBeLessThan(5_000);
    } finally {
      await admin.query('DELETE FROM tenancy.tenant_feature_overrides WHERE tenant_id = $1', [other.id]);
      await admin.end();
    }
  });
});
