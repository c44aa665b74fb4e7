/**
 * A tenant's members: invited by the tenant's admin with tenant roles, accepted by the invitee
 * signed in with a token for the tenant that claims no roles, after which every gateway gives
 * that user the member's roles; a role change and a deactivation reach the gateway within the
 * access-cache window, and a deactivated member is refused whatever roles their token claims.
 * Bad input writes nothing; the audit log names members by id, never by address.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminClient, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
let tenantId: string;
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  tenantId = await scratchTenant('Members Test Clinic');
  scratch.push(tenantId);
});
afterAll(async () => {
  await platform?.close();
  const admin = await adminClient();
  try {
    await admin.query('DELETE FROM tenancy.tenant_members WHERE tenant_id = ANY ($1::uuid[])', [scratch]);
  } finally {
    await admin.end();
  }
  await dropScratchTenants(scratch);
});

const tenantAdmin = () => bearer(['tenant_admin'], { tenantId, subject: 'members-admin' });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);
const MEMBER = 'id status roles principalId email';

async function invite(email: string, roles: string[], headers?: Record<string, string>) {
  return graphql<{ inviteMember: { member: { id: string; status: string }; invitationToken: string } }>(
    platform.gateway.url,
    `mutation I($t: ID!, $e: String!, $r: [String!]!) { inviteMember(tenantId: $t, email: $e, roles: $r) { member { ${MEMBER} } invitationToken } }`,
    { variables: { t: tenantId, e: email, r: roles }, headers: headers ?? (await tenantAdmin()) },
  );
}

describe('tenant members', () => {
  it('maps an invited user’s token to the member’s roles, and follows role changes and deactivation', async () => {
    const subject = `members-nurse-${randomUUID().slice(0, 8)}`;
    // The identity provider's token: the tenant, no roles.
    const nurse = await bearer([], { tenantId, subject, scopes: [] });
    const readTenant = () => graphql<{ tenant: { name: string } | null }>(platform.gateway.url, 'query T($id: ID!) { tenant(id: $id) { name } }', { variables: { id: tenantId }, headers: nurse });
    expect(codesOf(await readTenant())).toEqual(['INSUFFICIENT_SCOPE']);

    const invited = await invite(`Nurse.${subject}@Example.com`, ['clinician']);
    expect(invited.body.errors).toBeUndefined();
    const { member, invitationToken } = invited.body.data!.inviteMember;
    expect(member.status).toBe('INVITED');
    expect(invitationToken).toMatch(/^cgi_[A-Za-z0-9_-]{32}$/);

    const accepted = await graphql<{ acceptInvitation: { status: string; principalId: string } }>(platform.gateway.url, 'mutation A($t: String!) { acceptInvitation(token: $t) { status principalId } }', {
      variables: { t: invitationToken },
      headers: nurse,
    });
    expect(accepted.body.data!.acceptInvitation).toEqual({ status: 'ACTIVE', principalId: `user:${subject}` });
    await waitFor('the member’s roles at the gateway', async () => (await readTenant()).body.data?.tenant?.name === 'Members Test Clinic', 8_000);

    const reused = await graphql(platform.gateway.url, 'mutation A($t: String!) { acceptInvitation(token: $t) { status } }', { variables: { t: invitationToken }, headers: nurse });
    expect(codesOf(reused)).toEqual(['NOT_FOUND']);

    const changed = await graphql<{ changeMemberRoles: { roles: string[] } }>(platform.gateway.url, 'mutation C($id: ID!) { changeMemberRoles(id: $id, roles: ["biller"]) { roles } }', {
      variables: { id: member.id },
      headers: await tenantAdmin(),
    });
    expect(changed.body.data!.changeMemberRoles.roles).toEqual(['biller']);

    const deactivated = await graphql<{ deactivateMember: { status: string } }>(platform.gateway.url, 'mutation D($id: ID!) { deactivateMember(id: $id) { status } }', {
      variables: { id: member.id },
      headers: await tenantAdmin(),
    });
    expect(deactivated.body.data!.deactivateMember.status).toBe('DEACTIVATED');
    await waitFor('the deactivated member refused', async () => codesOf(await readTenant()).includes('TENANT_FORBIDDEN'), 8_000);
    // Whatever roles a token claims, a deactivated member stays out of the tenant.
    const claiming = await graphql(platform.gateway.url, 'query T($id: ID!) { tenant(id: $id) { name } }', {
      variables: { id: tenantId },
      headers: await bearer(['tenant_admin'], { tenantId, subject }),
    });
    expect(codesOf(claiming)).toEqual(['TENANT_FORBIDDEN']);

    const listed = await graphql<{ tenant: { members: { id: string; status: string; roles: string[] }[] } }>(
      platform.gateway.url,
      `query M($id: ID!) { tenant(id: $id) { members { ${MEMBER} } } }`,
      { variables: { id: tenantId }, headers: await tenantAdmin() },
    );
    expect(listed.body.data!.tenant.members.find((m) => m.id === member.id)).toMatchObject({ status: 'DEACTIVATED', roles: ['biller'] });

    const admin = await adminClient();
    try {
      const { rows } = await admin.query<{ action: string; detail: object }>('SELECT action, detail FROM tenancy.audit_log WHERE target = $1 ORDER BY seq', [`member:${member.id}`]);
      expect(rows.map((row) => row.action)).toEqual(['member.invited', 'member.joined', 'member.roles-changed', 'member.deactivated']);
      expect(JSON.stringify(rows)).not.toMatch(/@|example/i);
    } finally {
      await admin.end();
    }
  });

  it('refuses bad input, strangers and non-admins, writing nothing', async () => {
    const email = `dup-${randomUUID().slice(0, 8)}@example.com`;
    expect((await invite(email, ['biller'])).body.errors).toBeUndefined();
    expect(codesOf(await invite(email, ['clinician']))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await invite('not-an-address', ['clinician']))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await invite(`x-${email}`, ['platform_admin']))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await invite(`y-${email}`, []))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await invite(`z-${email}`, ['clinician'], await bearer(['clinician'], { tenantId })))).toEqual(['INSUFFICIENT_SCOPE']);
    const stranger = await scratchTenant('Members Other Clinic');
    scratch.push(stranger);
    expect(codesOf(await invite(`w-${email}`, ['clinician'], await bearer(['tenant_admin'], { tenantId: stranger })))).toEqual(['TENANT_FORBIDDEN']);
    const admin = await adminClient();
    try {
      const { rows } = await admin.query("SELECT email FROM tenancy.tenant_members WHERE tenant_id = $1 AND email LIKE '%' || $2", [tenantId, email]);
      expect(rows).toEqual([{ email }]);
    } finally {
      await admin.end();
    }
  });
});
