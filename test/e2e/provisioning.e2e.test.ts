/**
 * Provisioning through the gateway with every worker running: one provisionTenant becomes a
 * tenant with its contract, subscription, invoice schedule and partner attribution (erp), its
 * entitlements, its clinical workspace, its SLOs (observability), its first admin invited and its
 * onboarding checklist, then ACTIVE — each step visible with its attempts. The same key again
 * answers the same tenant; the same key with another request, or a request naming an unknown
 * template, region, plan or partner, is refused and writes nothing. A step the database refuses
 * stops the workflow visibly, the tenant still PROVISIONING, and retryProvisioning finishes it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as erpWorker from '../../subgraphs/erp/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { adminQuery, bearer, dropScratchTenants, graphql, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
const provisioned: string[] = [];
const partners: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, erpWorker, clinicalWorker, observabilityWorker]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await dropScratchTenants(provisioned);
  if (partners.length > 0) await adminQuery('DELETE FROM tenancy.partners WHERE id = ANY ($1::uuid[])', [partners]);
});

const admin = () => bearer(['platform_admin'], { subject: 'provisioning-admin' });

const RESULT = `tenant { id slug status tier placement region partner { id } }
  provisioning { status error steps { name owner status attempts startedAt finishedAt error } }
  invitationToken replayed`;

interface Step {
  name: string;
  owner: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}
interface Provisioning {
  status: string;
  error: string | null;
  steps: Step[];
}
interface Result {
  tenant: { id: string; slug: string; status: string; tier: string; placement: string; region: string; partner: { id: string } | null };
  provisioning: Provisioning;
  invitationToken: string | null;
  replayed: boolean;
}

function request(overrides: Record<string, unknown> = {}) {
  const suffix = randomUUID().slice(0, 8);
  return {
    idempotencyKey: `test-${suffix}`,
    slug: `zz-provisioned-${suffix}`,
    name: 'Provisioned Test Clinic',
    template: 'AMBULATORY',
    region: 'us-east',
    adminEmail: `admin-${suffix}@clinic.example`,
    ...overrides,
  };
}

async function provision(input: Record<string, unknown>) {
  const response = await graphql<{ provisionTenant: Result }>(platform.gateway.url, `mutation P($input: ProvisionTenantInput!) { provisionTenant(input: $input) { ${RESULT} } }`, {
    variables: { input },
    headers: await admin(),
  });
  const id = response.body.data?.provisionTenant?.tenant.id;
  if (id && !provisioned.includes(id)) provisioned.push(id);
  return response;
}

async function provisioningOf(tenantId: string): Promise<{ status: string; provisioning: Provisioning }> {
  const response = await graphql<{ tenant: { status: string; provisioning: Provisioning } }>(
    platform.gateway.url,
    `query T($id: ID!) { tenant(id: $id) { status provisioning { status error steps { name owner status attempts startedAt finishedAt error } } } }`,
    { variables: { id: tenantId }, headers: await admin() },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.tenant;
}

const settled = (tenantId: string, status: string) =>
  waitFor(`provisioning ${status}`, async () => {
    const tenant = await provisioningOf(tenantId);
    return tenant.provisioning.status === status ? tenant : undefined;
  }, 30_000);

const count = async (table: string, tenantId: string) =>
  (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]))[0]!.n;

/** The actions of the tenant's audit chain, in order. */
async function auditedActions(tenantId: string): Promise<string[]> {
  return (await adminQuery<{ action: string }>('SELECT action FROM tenancy.audit_log WHERE tenant_id = $1 ORDER BY seq', [tenantId])).map((row) => row.action);
}

describe('provisionTenant', () => {
  it('runs every step across the domains and activates the tenant', async () => {
    const [partner] = await adminQuery<{ id: string }>('SELECT id FROM tenancy.partners ORDER BY slug LIMIT 1');
    const input = request({ partnerId: partner!.id });
    const response = await provision(input);
    expect(response.body.errors).toBeUndefined();
    const result = response.body.data!.provisionTenant;
    expect(result).toMatchObject({ replayed: false, tenant: { slug: input.slug, status: 'PROVISIONING', tier: 'STANDARD', placement: 'POOLED', region: 'us-east' } });
    expect(result.invitationToken).toMatch(/^cgi_/);
    expect(result.provisioning.steps.map((step) => [step.name, step.owner])).toEqual([
      ['tenant_record', 'tenancy'],
      ['commercial', 'erp'],
      ['entitlements', 'erp'],
      ['clinical_workspace', 'clinical-ops'],
      ['slo_registration', 'observability'],
      ['tenant_admin', 'tenancy'],
      ['onboarding_checklist', 'tenancy'],
      ['activation', 'tenancy'],
    ]);
    expect(result.provisioning.steps[0]).toMatchObject({ status: 'DONE', attempts: 1 });

    const tenantId = result.tenant.id;
    const done = await settled(tenantId, 'COMPLETED');
    expect(done.status).toBe('ACTIVE');
    for (const step of done.provisioning.steps) {
      expect(step, step.name).toMatchObject({ status: 'DONE', error: null });
      expect(step.attempts, step.name).toBeGreaterThanOrEqual(1);
      expect(step.finishedAt, step.name).not.toBeNull();
    }

    // What each domain wrote for it, once.
    const [subscription] = await adminQuery<{ plan_code: string; status: string }>('SELECT plan_code, status FROM erp.subscriptions WHERE tenant_id = $1', [tenantId]);
    expect(subscription).toEqual({ plan_code: 'premium', status: 'active' });
    const [contract] = await adminQuery<{ value_minor: string; term_months: number }>('SELECT value_minor, term_months FROM erp.contracts WHERE tenant_id = $1', [tenantId]);
    expect(contract).toEqual({ value_minor: String(149900 * 12), term_months: 12 });
    expect(await count('erp.invoice_schedules', tenantId)).toBe(1);
    expect(await adminQuery('SELECT partner_id FROM erp.partner_attributions WHERE tenant_id = $1', [tenantId])).toEqual([{ partner_id: partner!.id }]);
    expect(await adminQuery('SELECT workflows FROM erp.provisioned_entitlements WHERE tenant_id = $1', [tenantId])).toEqual([
      { workflows: ['eligibility_checks', 'claims', 'reminders'] },
    ]);
    expect(await count('clinical_ops.workspace_workflows', tenantId)).toBe(3);
    const slos = await adminQuery<{ objective: string; target: string }>('SELECT objective, target FROM observability.slo_registrations WHERE tenant_id = $1 ORDER BY objective', [tenantId]);
    expect(slos).toEqual([
      { objective: 'availability', target: '0.995' },
      { objective: 'job_wait', target: '300' },
      { objective: 'latency_p95', target: '800' },
    ]);
    const members = await adminQuery<{ email: string; roles: string[]; status: string }>('SELECT email, roles, status FROM tenancy.tenant_members WHERE tenant_id = $1', [tenantId]);
    expect(members).toEqual([{ email: input.adminEmail, roles: ['tenant_admin'], status: 'invited' }]);
    expect(await count('tenancy.onboarding_checklist', tenantId)).toBe(5);
    const actions = await auditedActions(tenantId);
    expect(actions.filter((action) => !action.startsWith('subscription.'))).toEqual(['tenant.provisioning-started', 'member.invited', 'tenant.activated']);
    // Erp's subscription, started by the commercial step, enters the chain by its event.
    await waitFor('the subscription audited', async () => ((await auditedActions(tenantId)).includes('subscription.started') ? true : undefined));
    // Activated with its escalation policy published for observability: its tier's three rules.
    const events = await adminQuery<{ payload: { revision: number; rules: { signal: string; source: string }[] } }>(
      "SELECT payload FROM tenancy.outbox WHERE tenant_id = $1 AND type = 'tenancy.escalation-policy.changed'",
      [tenantId],
    );
    expect(events.map(({ payload }) => [payload.revision, payload.rules.map((rule) => `${rule.signal}:${rule.source}`)])).toEqual([
      [1, ['error_budget_burn:tier', 'incident_size:tier', 'integration_backlog:tier']],
    ]);
  });

  it('answers the same tenant for the same key, and refuses the key for another request', async () => {
    const input = request();
    const first = await provision(input);
    const tenantId = first.body.data!.provisionTenant.tenant.id;
    const again = await provision(input);
    expect(again.body.errors).toBeUndefined();
    expect(again.body.data!.provisionTenant).toMatchObject({ replayed: true, invitationToken: null, tenant: { id: tenantId } });
    // Both at once, too: one tenant.
    const [a, b] = await Promise.all([provision(input), provision(input)]);
    expect([a.body.data?.provisionTenant.tenant.id, b.body.data?.provisionTenant.tenant.id]).toEqual([tenantId, tenantId]);
    expect(await adminQuery('SELECT id FROM tenancy.tenants WHERE slug = $1', [input.slug])).toEqual([{ id: tenantId }]);

    const other = await provision({ ...input, region: 'eu-west' });
    expect(other.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await adminQuery('SELECT region FROM tenancy.tenants WHERE id = $1', [tenantId])).toEqual([{ region: 'us-east' }]);
    await settled(tenantId, 'COMPLETED');
  });

  it.each([
    ['region', { region: 'mars-north' }, /No region mars-north: the platform serves eu-west, us-east, us-west/],
    ['plan', { plan: 'platinum' }, /No plan platinum/],
    ['plan', { plan: 'standard' }, /Plan standard does not include eligibility_checks, claims, reminders, which the ambulatory template switches on/],
    ['partnerId', { partnerId: randomUUID() }, /No such partner/],
    ['adminEmail', { adminEmail: 'not an address' }, /adminEmail must be an e-mail address/],
    ['idempotencyKey', { idempotencyKey: 'short' }, /idempotencyKey must be/],
  ])('refuses an unknown or invalid %s before anything is written', async (argument, overrides, message) => {
    const input = request(overrides);
    const response = await provision(input);
    expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT', argument: `input.${argument}` } });
    expect(await adminQuery('SELECT id FROM tenancy.tenants WHERE slug = $1', [input.slug])).toEqual([]);
    expect(await adminQuery('SELECT tenant_id FROM tenancy.provisioning_runs WHERE idempotency_key = $1', [input.idempotencyKey])).toEqual([]);
  });

  it('refuses an unknown template (the enum) and anyone but a platform admin', async () => {
    const unknown = await provision(request({ template: 'VETERINARY' }));
    expect(unknown.body.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    const input = request();
    const response = await graphql(platform.gateway.url, `mutation P($input: ProvisionTenantInput!) { provisionTenant(input: $input) { replayed } }`, {
      variables: { input },
      headers: await bearer(['support'], { subject: 'provisioning-support' }),
    });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_SCOPE');
    expect(await adminQuery('SELECT id FROM tenancy.tenants WHERE slug = $1', [input.slug])).toEqual([]);
  });

  it('stops at a step the database refuses, leaves the tenant PROVISIONING, and resumes it with retryProvisioning', async () => {
    // A partner of this test's own, whose attributions erp's database refuses until the trigger goes.
    const partnerId = randomUUID();
    partners.push(partnerId);
    await adminQuery(`INSERT INTO tenancy.partners (id, slug, name, brand_name) VALUES ($1, $2, 'Refused Partner', 'Refused')`, [partnerId, `zz-refused-${partnerId.slice(0, 8)}`]);
    const trigger = `zz_refuse_${partnerId.slice(0, 8)}`;
    await adminQuery(
      `CREATE FUNCTION erp.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.partner_id = '${partnerId}' THEN RAISE EXCEPTION 'attributions to this partner are closed' USING ERRCODE = 'check_violation'; END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER ${trigger} BEFORE INSERT ON erp.partner_attributions FOR EACH ROW EXECUTE FUNCTION erp.${trigger}()`,
    );
    let tenantId: string;
    try {
      const response = await provision(request({ partnerId }));
      expect(response.body.errors).toBeUndefined();
      tenantId = response.body.data!.provisionTenant.tenant.id;
      const failed = await settled(tenantId, 'FAILED');
      expect(failed.status).toBe('PROVISIONING');
      expect(failed.provisioning.error).toMatch(/^commercial: attributions to this partner are closed \(SQLSTATE 23514\)/);
      const commercial = failed.provisioning.steps.find((step) => step.name === 'commercial')!;
      expect(commercial).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringMatching(/attributions to this partner are closed/) });
      expect(failed.provisioning.steps.filter((step) => step.status === 'PENDING').map((step) => step.name)).toEqual([
        'entitlements',
        'clinical_workspace',
        'slo_registration',
        'tenant_admin',
        'onboarding_checklist',
        'activation',
      ]);
      // The failed step left nothing half-done in erp.
      expect(await count('erp.subscriptions', tenantId)).toBe(0);
      expect(await count('erp.contracts', tenantId)).toBe(0);

      // Retrying a running or completed provisioning is refused.
      const early = await graphql(platform.gateway.url, `mutation R($id: ID!) { retryProvisioning(tenantId: $id) { status } }`, { variables: { id: provisioned[0] }, headers: await admin() });
      expect(early.body.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: 'COMPLETED' });
    } finally {
      await adminQuery(`DROP TRIGGER ${trigger} ON erp.partner_attributions; DROP FUNCTION erp.${trigger}()`);
    }
    const retried = await graphql<{ retryProvisioning: Provisioning }>(platform.gateway.url, `mutation R($id: ID!) { retryProvisioning(tenantId: $id) { status error } }`, {
      variables: { id: tenantId! },
      headers: await admin(),
    });
    expect(retried.body.data?.retryProvisioning).toEqual({ status: 'RUNNING', error: null });
    const done = await settled(tenantId!, 'COMPLETED');
    expect(done.status).toBe('ACTIVE');
    expect(done.provisioning.steps.find((step) => step.name === 'commercial')).toMatchObject({ status: 'DONE', attempts: 2, error: null });
    expect(await count('erp.partner_attributions', tenantId!)).toBe(1);
    const actions = await auditedActions(tenantId!);
    expect(actions.filter((action) => !action.startsWith('subscription.'))).toEqual(['tenant.provisioning-started', 'tenant.provisioning-failed', 'tenant.provisioning-resumed', 'member.invited', 'tenant.activated']);
  });
});
