/**
 * The audit log through the gateway: entries for lifecycle moves and API-key changes, listed
 * newest first with filters and pages; each chain verifies whole; and an entry edited,
 * deleted or cut off the end in SQL — by someone holding the database but not the services'
 * key — is found by verifyAuditChain at the exact entry. The application role can only add.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { PARTNER } from '../isolation/fixture.js';
import { adminQuery, appClient, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
const scratch: string[] = [];
afterAll(async () => {
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'audit-admin' });

const sql = adminQuery;

/** A tenant of its own, moved through four lifecycle steps: a chain of four entries. */
async function tenantWithHistory(): Promise<string> {
  const id = await scratchTenant('Audit Test Clinic', { tier: 'enhanced', region: 'eu-west' });
  scratch.push(id);
  for (const mutation of ['activateTenant', 'suspendTenant', 'resumeTenant', 'suspendTenant']) {
    const response = await graphql(platform.gateway.url, `mutation M($id: ID!) { ${mutation}(id: $id) { status } }`, { variables: { id }, headers: await admin() });
    expect(response.body.errors, mutation).toBeUndefined();
  }
  return id;
}

interface Verification {
  valid: boolean;
  entries: number;
  firstBrokenSequence: number | null;
  problem: string | null;
}

async function verify(tenantId: string): Promise<Verification> {
  const response = await graphql<{ verifyAuditChain: Verification }>(
    platform.gateway.url,
    'query V($id: ID!) { verifyAuditChain(tenantId: $id) { valid entries firstBrokenSequence problem } }',
    { variables: { id: tenantId }, headers: await admin() },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.verifyAuditChain;
}

const LOG = `query L($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { sequence tenantId action target actorId actorRoles detail requestId } }
  }
}`;
type LogPage = {
  auditLog: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { sequence: number; tenantId: string | null; action: string; target: string; actorId: string; actorRoles: string[]; detail: string; requestId: string | null } }[];
  };
};

describe('the audit log', () => {
  it('lists a tenant’s entries newest first, in pages, filtered by action and time', async () => {
    const id = await tenantWithHistory();
    const first = await graphql<LogPage>(platform.gateway.url, LOG, { variables: { filter: { tenantId: id }, first: 3 }, headers: await admin() });
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data!.auditLog;
    expect(page.totalCount).toBe(4);
    expect(page.edges.map((edge) => [edge.node.sequence, edge.node.action])).toEqual([
      [4, 'tenant.suspended'],
      [3, 'tenant.resumed'],
      [2, 'tenant.suspended'],
    ]);
    expect(page.edges[0]!.node).toMatchObject({ tenantId: id, target: `tenant:${id}`, actorRoles: ['platform_admin'] });
    expect(JSON.parse(page.edges[0]!.node.detail)).toEqual({ from: 'active', to: 'suspended', reason: 'operator_action' });
    expect(page.edges[0]!.node.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await graphql<LogPage>(platform.gateway.url, LOG, {
      variables: { filter: { tenantId: id }, first: 3, after: page.pageInfo.endCursor },
      headers: await admin(),
    });
    expect(second.body.data!.auditLog.edges.map((edge) => edge.node.sequence)).toEqual([1]);

    const suspensions = await graphql<LogPage>(platform.gateway.url, LOG, {
      variables: { filter: { tenantId: id, action: 'tenant.suspended', from: new Date(Date.now() - 60_000).toISOString() } },
      headers: await admin(),
    });
    expect(suspensions.body.data!.auditLog.edges.map((edge) => edge.node.sequence)).toEqual([4, 2]);
    const future = await graphql<LogPage>(platform.gateway.url, LOG, {
      variables: { filter: { tenantId: id, from: new Date(Date.now() + 60_000).toISOString() } },
      headers: await admin(),
    });
    expect(future.body.data!.auditLog.totalCount).toBe(0);
  });

  it('records API-key issues and revocations in the partner’s chain, without the secret', async () => {
    const issued = await graphql<{ issueApiKey: { apiKey: { id: string; prefix: string }; secret: string } }>(
      platform.gateway.url,
      'mutation I($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id prefix } secret } }',
      { variables: { input: { partnerId: PARTNER.id, name: `audit-${randomUUID()}`, scopes: ['tenant:read'], expiresInDays: 1 } }, headers: await admin() },
    );
    const key = issued.body.data!.issueApiKey;
    await graphql(platform.gateway.url, 'mutation R($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', { variables: { id: key.apiKey.id }, headers: await admin() });
    const log = await graphql<LogPage>(platform.gateway.url, LOG, { variables: { filter: { partnerId: PARTNER.id }, first: 200 }, headers: await admin() });
    const entries = log.body.data!.auditLog.edges.map((edge) => edge.node).filter((node) => node.target === `api_key:${key.apiKey.id}`);
    expect(entries.map((node) => node.action)).toEqual(['api_key.revoked', 'api_key.issued']);
    expect(JSON.parse(entries[1]!.detail)).toMatchObject({ prefix: key.apiKey.prefix, scopes: ['tenant:read'], safelistOnly: false });
    expect(log.text).not.toContain(key.secret);
    const chain = await graphql<{ verifyAuditChain: Verification }>(platform.gateway.url, 'query V($p: ID!) { verifyAuditChain(partnerId: $p) { valid } }', {
      variables: { p: PARTNER.id },
      headers: await admin(),
    });
    expect(chain.body.data!.verifyAuditChain.valid).toBe(true);
  });

  it('verifies a whole chain, and finds an entry edited in the database', async () => {
    const id = await tenantWithHistory();
    expect(await verify(id)).toEqual({ valid: true, entries: 4, firstBrokenSequence: null, problem: null });
    await sql(`UPDATE tenancy.audit_log SET detail = '{"from": "active", "to": "suspended", "reason": "security"}' WHERE tenant_id = $1 AND seq = 2`, [id]);
    expect(await verify(id)).toEqual({ valid: false, entries: 4, firstBrokenSequence: 2, problem: 'entry 2 was changed after it was written' });
  });

  it('finds an entry deleted from the middle, and entries cut off the end', async () => {
    const middle = await tenantWithHistory();
    await sql('DELETE FROM tenancy.audit_log WHERE tenant_id = $1 AND seq = 3', [middle]);
    expect(await verify(middle)).toMatchObject({ valid: false, firstBrokenSequence: 3, problem: 'entry 3 is missing (the next one read is 4)' });

    const end = await tenantWithHistory();
    await sql('DELETE FROM tenancy.audit_log WHERE tenant_id = $1 AND seq >= 3', [end]);
    expect(await verify(end)).toMatchObject({ valid: false, entries: 2, firstBrokenSequence: 3 });
  });

  it('finds an entry forged with a recomputed plain hash, and refuses the application role any change', async () => {
    const id = await tenantWithHistory();
    // Without the services' key, the best a forger can do is a hash of their own making.
    await sql(
      `UPDATE tenancy.audit_log SET actor_id = 'someone-else', hash = encode(sha256(convert_to(prev_hash || actor_id, 'UTF8')), 'hex')
        WHERE tenant_id = $1 AND seq = 1`,
      [id],
    );
    expect(await verify(id)).toMatchObject({ valid: false, firstBrokenSequence: 1 });
    const app = await appClient();
    try {
      await expect(app.query('UPDATE tenancy.audit_log SET action = $1', ['tenant.activated'])).rejects.toMatchObject({ code: '42501' });
      await expect(app.query('DELETE FROM tenancy.audit_log')).rejects.toMatchObject({ code: '42501' });
      await expect(app.query('UPDATE tenancy.audit_chains SET chain = $1', ['platform'])).rejects.toMatchObject({ code: '42501' });
    } finally {
      await app.end();
    }
  });

  it('is for audit:read: a clinician is refused', async () => {
    const [tenant] = await sql<{ id: string }>("SELECT id FROM tenancy.tenants WHERE status = 'active' ORDER BY slug LIMIT 1");
    const response = await graphql(platform.gateway.url, LOG, { headers: await bearer(['clinician'], { tenantId: tenant!.id }) });
    expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['INSUFFICIENT_SCOPE']);
    expect(response.body.data?.auditLog ?? null).toBeNull();
  });
});
