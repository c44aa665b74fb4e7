/**
 * The tenant lifecycle through the gateway, on tenants of this suite's own (the seeded ones
 * serve other suites): each move by a platform admin changes the status, writes one audit entry
 * in the tenant's chain and one event in tenancy's outbox, and reaches the gateway within the
 * access-cache window — a suspended tenant's users are refused TENANT_SUSPENDED, an
 * offboarding one's TENANT_OFFBOARDED, platform staff still read it. A move the status does not
 * allow is refused INVALID_TRANSITION and writes nothing; nobody but platform admins moves a
 * tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTNERS } from '../../lib/demo/fleet.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminClient, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

const scratch: string[] = [];
/** A new tenant in PROVISIONING, nobody else's. */
async function freshTenant(): Promise<string> {
  const id = await scratchTenant('Lifecycle Test Clinic');
  scratch.push(id);
  return id;
}

async function recordsOf(tenantId: string) {
  const admin = await adminClient();
  try {
    const { rows: [tenant] } = await admin.query<{ status: string }>('SELECT status FROM tenancy.tenants WHERE id = $1', [tenantId]);
    const { rows: audit } = await admin.query<{ seq: string; action: string; detail: Record<string, unknown>; actor_id: string }>(
      // The admin's moves: offboarding goes on without them (exports by the workers, when any run).
      "SELECT seq, action, detail, actor_id FROM tenancy.audit_log WHERE tenant_id = $1 AND actor_kind = 'user' ORDER BY seq",
      [tenantId],
    );
    const { rows: events } = await admin.query<{ type: string; payload: Record<string, unknown> }>(
      "SELECT type, payload FROM tenancy.outbox WHERE tenant_id = $1 AND actor->>'principalKind' = 'user' ORDER BY occurred_at",
      [tenantId],
    );
    const { rows: holds } = await admin.query<{ reason: string }>('SELECT reason FROM caregraph.job_holds WHERE tenant_id = $1', [tenantId]);
    return { status: tenant?.status, audit, events, holds: holds.map((hold) => hold.reason) };
  } finally {
    await admin.end();
  }
}

const MOVE = (mutation: string) => `mutation M($id: ID!, $reason: LifecycleReason) { ${mutation}(id: $id, reason: $reason) { id status } }`;
const platformAdmin = () => bearer(['platform_admin'], { subject: 'lifecycle-admin' });

async function move(mutation: string, id: string, reason?: string, headers?: Record<string, string>) {
  return graphql<Record<string, { id: string; status: string }>>(platform.gateway.url, MOVE(mutation), {
    variables: { id, reason },
    headers: headers ?? (await platformAdmin()),
  });
}

const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

/** Polls `ask` until `done(answer)`, for at most the access-cache window and a margin; answers the last answer and the time taken. */
async function within<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<{ answer: T; ms: number }> {
  const started = Date.now();
  let answer = await ask();
  while (!done(answer) && Date.now() - started < 6_000) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await ask();
  }
  return { answer, ms: Date.now() - started };
}

describe('the tenant lifecycle', () => {
  it('activates, suspends, resumes and offboards, each move audited once and published once, and enforced at the gateway', async () => {
    const id = await freshTenant();
    const user = await bearer(['tenant_admin'], { tenantId: id, subject: `lifecycle-user-${id}` });
    const readAsUser = () => graphql<{ tenant: { status: string } | null }>(platform.gateway.url, 'query T($id: ID!) { tenant(id: $id) { status } }', { variables: { id }, headers: user });

    const activated = await move('activateTenant', id);
    expect(activated.body).toEqual({ data: { activateTenant: { id, status: 'ACTIVE' } } });
    expect((await within(readAsUser, (r) => r.body.data?.tenant?.status === 'ACTIVE')).answer.body.data?.tenant?.status).toBe('ACTIVE');

    const suspended = await move('suspendTenant', id, 'NON_PAYMENT');
    expect(suspended.body.data?.suspendTenant?.status).toBe('SUSPENDED');
    const refused = await within(readAsUser, (r) => codesOf(r).includes('TENANT_SUSPENDED'));
    expect(refused.answer.status).toBe(403);
    expect(codesOf(refused.answer)).toEqual(['TENANT_SUSPENDED']);
    expect(refused.ms).toBeLessThanOrEqual(5_000);
    // Platform staff may still read it.
    const staff = await graphql<{ tenant: { status: string } }>(platform.gateway.url, 'query T($id: ID!) { tenant(id: $id) { status } }', {
      variables: { id },
      headers: { ...(await bearer(['support'], { subject: 'lifecycle-support' })), 'x-tenant-id': id },
    });
    expect(staff.body.data?.tenant.status).toBe('SUSPENDED');
    // Its queued jobs wait from the suspension's commit on (lib/jobs/holds.ts), until it is resumed.
    expect((await recordsOf(id)).holds).toEqual(['suspended']);

    expect((await move('resumeTenant', id)).body.data?.resumeTenant?.status).toBe('ACTIVE');
    expect((await recordsOf(id)).holds).toEqual([]);
    expect((await within(readAsUser, (r) => r.body.data?.tenant?.status === 'ACTIVE')).answer.body.data?.tenant?.status).toBe('ACTIVE');

    expect((await move('offboardTenant', id, 'CUSTOMER_REQUEST')).body.data?.offboardTenant?.status).toBe('OFFBOARDING');
    expect(codesOf((await within(readAsUser, (r) => codesOf(r).includes('TENANT_OFFBOARDED'))).answer)).toEqual(['TENANT_OFFBOARDED']);

    const records = await recordsOf(id);
    expect(['offboarding', 'offboarded']).toContain(records.status);
    expect(records.audit.map((entry) => [Number(entry.seq), entry.action, entry.detail])).toEqual([
      [1, 'tenant.activated', { from: 'provisioning', to: 'active', reason: 'provisioned' }],
      [2, 'tenant.suspended', { from: 'active', to: 'suspended', reason: 'non_payment' }],
      [3, 'tenant.resumed', { from: 'suspended', to: 'active', reason: 'operator_action' }],
      [4, 'tenant.offboarding-started', { from: 'active', to: 'offboarding', reason: 'customer_request' }],
    ]);
    expect(new Set(records.audit.map((entry) => entry.actor_id)).size).toBe(1);
    expect(records.audit[0]!.actor_id).toContain('lifecycle-admin');
    expect(records.events).toEqual([
      { type: 'tenancy.tenant.status-changed', payload: { from: 'provisioning', to: 'active', reason: 'provisioned' } },
      { type: 'tenancy.tenant.status-changed', payload: { from: 'active', to: 'suspended', reason: 'non_payment' } },
      { type: 'tenancy.tenant.status-changed', payload: { from: 'suspended', to: 'active', reason: 'operator_action' } },
      { type: 'tenancy.tenant.status-changed', payload: { from: 'active', to: 'offboarding', reason: 'customer_request' } },
    ]);
  });

  it('refuses a move its status does not allow with INVALID_TRANSITION, writing nothing', async () => {
    const id = await freshTenant();
    const early = await move('resumeTenant', id);
    expect(codesOf(early)).toEqual(['INVALID_TRANSITION']);
    expect(early.body.errors![0]!.message).toMatch(/A provisioning tenant cannot be moved to active/);
    expect(early.body.errors![0]!.extensions).toMatchObject({ from: 'PROVISIONING', to: 'ACTIVE' });
    expect(early.body.data).toBeNull();
    await move('activateTenant', id);
    await move('offboardTenant', id);
    for (const mutation of ['activateTenant', 'resumeTenant', 'suspendTenant', 'offboardTenant']) {
      expect(codesOf(await move(mutation, id)), mutation).toEqual(['INVALID_TRANSITION']);
    }
    const records = await recordsOf(id);
    expect(['offboarding', 'offboarded']).toContain(records.status);
    expect(records.audit).toHaveLength(2);
    expect(records.events).toHaveLength(2);
  });

  it('lets only platform admins move a tenant, and refuses an unknown reason before anything is written', async () => {
    const id = await freshTenant();
    const callers = {
      tenant_admin: await bearer(['tenant_admin'], { tenantId: id }),
      support: await bearer(['support']),
      partner_admin: await bearer(['partner_admin'], { partnerId: DEMO_PARTNERS[0]!.id }),
    };
    for (const [role, headers] of Object.entries(callers)) {
      expect(codesOf(await move('activateTenant', id, undefined, headers)), role).toEqual(['INSUFFICIENT_SCOPE']);
    }
    const badReason = await move('activateTenant', id, 'BECAUSE');
    expect(badReason.status).toBe(400);
    expect((await recordsOf(id)).status).toBe('provisioning');
    expect((await recordsOf(id)).audit).toHaveLength(0);
  });
});
