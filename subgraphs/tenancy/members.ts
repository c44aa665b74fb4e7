/**
 * A tenant's members (migration 011): invited by e-mail with tenant roles by the tenant's admins
 * or platform admins, bound to the identity provider's subject of whoever accepts the
 * invitation, deactivated when they leave. The gateway then takes a member's roles from here
 * rather than from the token (gateway/authenticate.ts), and refuses a deactivated member, within
 * ACCESS_CACHE_SECONDS. Every step is in the tenant's audit chain, by member id: an e-mail
 * address is personal data and stays in this table.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, InvalidTransitionError, NotFoundError, TenantForbiddenError, UnauthenticatedError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import { publishEvent } from '../../lib/events/outbox.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appendAudit } from './audit.js';
import { actingOn, type TenancyContext } from './context.js';

/** Roles a tenant grants its members; platform and partner roles are never a tenant's to give. */
export const MEMBER_ROLES = ['tenant_admin', 'clinician', 'biller'] as const;
type MemberRole = (typeof MEMBER_ROLES)[number];
const INVITATION_DAYS = 7;
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}$/;
const INVITATION_PREFIX = 'cgi_';

interface MemberRow {
  id: string;
  tenant_id: string;
  email: string;
  roles: string[];
  principal_id: string | null;
  status: 'invited' | 'active' | 'deactivated';
  invitation_expires_at: Date | null;
  invited_by: string;
  invited_at: Date;
  accepted_at: Date | null;
  deactivated_at: Date | null;
}

const COLUMNS = 'id, tenant_id, email, roles, principal_id, status, invitation_expires_at, invited_by, invited_at, accepted_at, deactivated_at';
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** Platform admins manage any tenant's members; a tenant admin only their own tenant's. */
function assertMayManage(tenant: TenantContext, tenantId: string): void {
  const platformAdmin = tenant.roles.includes('platform_admin');
  const ownAdmin = tenant.roles.includes('tenant_admin') && tenant.access === 'tenant' && tenant.tenantId === tenantId;
  if (platformAdmin || ownAdmin) return;
  if (tenant.roles.includes('tenant_admin')) throw new TenantForbiddenError('A tenant admin manages the members of their own tenant only');
  throw new InsufficientScopeError('Only the tenant’s admins or platform admins manage its members');
}

function rolesOf(roles: readonly string[]): string[] {
  const unique = [...new Set(roles)];
  if (unique.length === 0 || unique.some((role) => !(MEMBER_ROLES as readonly string[]).includes(role))) {
    throw new BadUserInputError(`roles must be a non-empty subset of ${MEMBER_ROLES.join(', ')}`, { argument: 'roles' });
  }
  return unique.sort();
}


async function audit(tx: Tx, ctx: TenancyContext, context: TenantContext, member: MemberRow, action: string, detail: Record<string, unknown> = {}): Promise<void> {
  const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [member.tenant_id]);
  await appendAudit(tx, ctx.db.deriveKey('audit'), context, {
    owner: { tenantId: member.tenant_id, partnerId: tenant?.partner_id ?? null },
    action,
    target: `member:${member.id}`,
    detail: { roles: member.roles, ...detail },
  });
}

async function invite(ctx: TenancyContext, args: { tenantId: string; email: string; roles: string[] }) {
  const tenantId = requireUuid(args.tenantId, 'tenantId');
  assertMayManage(ctx.tenant, tenantId);
  const email = args.email.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new BadUserInputError('email must be an e-mail address', { argument: 'email' });
  const roles = rolesOf(args.roles);
  const token = `${INVITATION_PREFIX}${randomBytes(24).toString('base64url')}`;
  const acting = actingOn(ctx.tenant, tenantId);
  const member = await ctx.db.withTenant(acting, async (tx) => {
    const [tenant] = await tx.query('SELECT id FROM tenants WHERE id = $1', [tenantId]);
    if (!tenant) throw new NotFoundError('No such tenant');
    const [row] = await tx.query<MemberRow>(
      `INSERT INTO tenant_members (id, tenant_id, email, roles, status, invitation_hash, invitation_expires_at, invited_by)
       VALUES ($1, $2, $3, $4, 'invited', $5, now() + make_interval(days => $6), $7)
       ON CONFLICT (tenant_id, email) DO NOTHING RETURNING ${COLUMNS}`,
      [randomUUID(), tenantId, email, roles, hashOf(token), INVITATION_DAYS, ctx.tenant.principal.id],
    );
    if (!row) throw new BadUserInputError('That address is a member of the tenant already (or invited)', { argument: 'email' });
    await audit(tx, ctx, acting, row, 'member.invited');
    return row;
  });
  return { member: toMember(member), invitationToken: token };
}

/** Binds an invitation to the caller's identity: the caller becomes the member. */
async function accept(ctx: TenancyContext, token: string) {
  if (ctx.tenant.principal.kind !== 'user') throw new UnauthenticatedError('An invitation is accepted by a signed-in user');
  if (!token.startsWith(INVITATION_PREFIX)) throw new BadUserInputError('token is not an invitation token', { argument: 'token' });
  // Found by its hash at platform level: the invitee does not belong to the tenant yet.
  return ctx.db.withTenant({ ...ctx.tenant, access: 'platform', tenantId: null }, async (tx) => {
    const [member] = await tx.query<MemberRow & { expired: boolean }>(
      `SELECT ${COLUMNS}, invitation_expires_at <= now() AS expired FROM tenant_members WHERE invitation_hash = $1 FOR UPDATE`,
      [hashOf(token)],
    );
    if (!member || member.status !== 'invited') throw new NotFoundError('No such invitation (it may have been accepted already)');
    if (member.expired) throw new InvalidTransitionError('The invitation has expired: ask for a new one', { from: 'EXPIRED', to: 'ACTIVE' });
    const [taken] = await tx.query('SELECT id FROM tenant_members WHERE tenant_id = $1 AND principal_id = $2', [member.tenant_id, ctx.tenant.principal.id]);
    if (taken) throw new BadUserInputError('You are a member of this tenant already', { argument: 'token' });
    const [row] = await tx.query<MemberRow>(
      `UPDATE tenant_members SET status = 'active', principal_id = $2, accepted_at = now(), invitation_hash = NULL, invitation_expires_at = NULL
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [member.id, ctx.tenant.principal.id],
    );
    const joined = actingOn(ctx.tenant, member.tenant_id);
    await audit(tx, ctx, joined, row!, 'member.joined');
    // Erp takes the tenant's first member to join as its users-provisioned milestone (docs/milestones.md).
    await publishEvent(tx, 'tenancy.member.joined', joined, { memberId: row!.id, roles: row!.roles as MemberRole[] });
    return toMember(row!);
  });
}

async function change(ctx: TenancyContext, id: string, update: { roles?: string[]; deactivate?: boolean }) {
  const [found] = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<{ tenant_id: string }>('SELECT tenant_id FROM tenant_members WHERE id = $1', [id]));
  if (!found) throw new NotFoundError('No such member');
  assertMayManage(ctx.tenant, found.tenant_id);
  const acting = actingOn(ctx.tenant, found.tenant_id);
  return ctx.db.withTenant(acting, async (tx) => {
    const [member] = await tx.query<MemberRow>(`SELECT ${COLUMNS} FROM tenant_members WHERE id = $1 FOR UPDATE`, [id]);
    if (!member) throw new NotFoundError('No such member');
    if (member.status === 'deactivated') throw new InvalidTransitionError('The member is deactivated', { from: 'DEACTIVATED', to: update.deactivate ? 'DEACTIVATED' : 'ACTIVE' });
    const [row] = update.deactivate
      ? await tx.query<MemberRow>(
          `UPDATE tenant_members SET status = 'deactivated', deactivated_at = now(), invitation_hash = NULL WHERE id = $1 RETURNING ${COLUMNS}`,
          [id],
        )
      : await tx.query<MemberRow>(`UPDATE tenant_members SET roles = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, update.roles]);
    await audit(tx, ctx, acting, row!, update.deactivate ? 'member.deactivated' : 'member.roles-changed', update.deactivate ? {} : { previousRoles: member.roles });
    return toMember(row!);
  });
}

/** The gateway's lookup: the member a principal is in a tenant, if any (status and roles). */
export async function lookupMember(tx: Tx, tenantId: string, principalId: string): Promise<{ status: string; roles: string[] } | null> {
  const [row] = await tx.query<{ status: string; roles: string[] }>(
    "SELECT status, roles FROM tenant_members WHERE tenant_id = $1 AND principal_id = $2 AND status <> 'invited'",
    [tenantId, principalId],
  );
  return row ?? null;
}

const toMember = (row: MemberRow) => ({
  id: row.id,
  tenantId: row.tenant_id,
  email: row.email,
  roles: row.roles,
  status: row.status.toUpperCase(),
  principalId: row.principal_id,
  invitedBy: row.invited_by,
  invitedAt: row.invited_at.toISOString(),
  invitationExpiresAt: row.invitation_expires_at?.toISOString() ?? null,
  acceptedAt: row.accepted_at?.toISOString() ?? null,
  deactivatedAt: row.deactivated_at?.toISOString() ?? null,
});

export const memberResolvers = {
  Mutation: {
    inviteMember: (_: unknown, args: { tenantId: string; email: string; roles: string[] }, ctx: TenancyContext) => invite(ctx, args),
    acceptInvitation: (_: unknown, args: { token: string }, ctx: TenancyContext) => accept(ctx, args.token.trim()),
    changeMemberRoles: (_: unknown, args: { id: string; roles: string[] }, ctx: TenancyContext) =>
      change(ctx, requireUuid(args.id, 'id'), { roles: rolesOf(args.roles) }),
    deactivateMember: (_: unknown, args: { id: string }, ctx: TenancyContext) => change(ctx, requireUuid(args.id, 'id'), { deactivate: true }),
  },
  Tenant: {
    async members(tenant: { id: string }, _: unknown, ctx: TenancyContext) {
      assertMayManage(ctx.tenant, tenant.id);
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<MemberRow>(`SELECT ${COLUMNS} FROM tenant_members WHERE tenant_id = $1 ORDER BY email`, [tenant.id]));
      return rows.map(toMember);
    },
  },
};
