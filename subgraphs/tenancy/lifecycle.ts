/**
 * The tenant lifecycle, the control plane's first duty:
 *
 *   PROVISIONING → ACTIVE → SUSPENDED ⇄ ACTIVE → OFFBOARDING → OFFBOARDED
 *                             SUSPENDED → OFFBOARDING
 *
 * Each move but the last is a mutation for platform admins (`tenants:manage`); OFFBOARDING →
 * OFFBOARDED is the platform's own, made by tenancy's worker once every domain has exported the
 * tenant's data (offboarding.ts), which stamps `offboarded_at`: its retention counts from then.
 * Every move is made in one transaction
 * with its audit entry (audit.ts) and its event (`tenancy.tenant.status-changed`, through the
 * outbox): all three or none. A move its status does not allow is refused with
 * INVALID_TRANSITION and changes nothing. Every gateway replica enforces the new status within
 * ACCESS_CACHE_SECONDS: a suspended tenant's users and partner keys get TENANT_SUSPENDED, an
 * offboarding or offboarded one's TENANT_OFFBOARDED, platform staff may still read it (audited).
 * While a tenant is suspended its queued jobs wait (lib/jobs/holds.ts), held and released in the
 * transaction of the move itself.
 */
import type { LIFECYCLE_REASONS, TENANT_STATUSES } from '../../lib/events/catalog.js';
import type { Tx } from '../../lib/db/index.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { BadUserInputError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { holdTenantJobs, releaseTenantJobs } from '../../lib/jobs/holds.js';
import { requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appendAudit } from './audit.js';
import { actingOn, requirePlatformAdmin, type TenancyContext } from './context.js';
import type { TenantRow } from './tenants.js';

export type TenantStatus = (typeof TENANT_STATUSES)[number];
export type LifecycleReason = (typeof LIFECYCLE_REASONS)[number];

interface Move {
  from: readonly TenantStatus[];
  to: TenantStatus;
  /** The audit action. */
  action: string;
}

/** Every move the lifecycle allows, by mutation (or, for the platform's own, by name). */
export const LIFECYCLE_MOVES = Object.freeze({
  activateTenant: { from: ['provisioning'], to: 'active', action: 'tenant.activated' },
  suspendTenant: { from: ['active'], to: 'suspended', action: 'tenant.suspended' },
  resumeTenant: { from: ['suspended'], to: 'active', action: 'tenant.resumed' },
  offboardTenant: { from: ['active', 'suspended'], to: 'offboarding', action: 'tenant.offboarding-started' },
  /** The platform's: every domain has exported the tenant's data. No mutation makes it. */
  completeOffboarding: { from: ['offboarding'], to: 'offboarded', action: 'tenant.offboarded' },
} satisfies Record<string, Move>);

export type LifecycleMutation = keyof typeof LIFECYCLE_MOVES;
/** The moves platform admins make by mutation. */
type AdminMove = Exclude<LifecycleMutation, 'completeOffboarding'>;

const REASONS: Record<string, LifecycleReason> = {
  PROVISIONED: 'provisioned',
  NON_PAYMENT: 'non_payment',
  SECURITY: 'security',
  CUSTOMER_REQUEST: 'customer_request',
  CONTRACT_ENDED: 'contract_ended',
  OPERATOR_ACTION: 'operator_action',
};

const assertPlatformAdmin = (tenant: TenantContext) => requirePlatformAdmin(tenant, 'move a tenant along its lifecycle');

/**
 * Moves one tenant: locks its row, checks the move against its status, writes the new status,
 * its audit entry and its event, in one transaction bound to that tenant.
 */
export async function moveTenant(
  ctx: Pick<TenancyContext, 'db' | 'tenant'>,
  mutation: AdminMove,
  tenantId: string,
  reason: LifecycleReason,
): Promise<TenantRow> {
  assertPlatformAdmin(ctx.tenant);
  // The move acts on one tenant: the transaction is bound to it (RLS, and the outbox takes
  // events of the bound tenant only), whatever level the admin called at.
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, (tx) => applyMove(tx, ctx.db.deriveKey('audit'), acting, mutation, reason));
}

/**
 * The move itself, in the caller's transaction bound to the tenant (`acting`): for the platform's
 * own moves too (provisioning activates the tenant it finished), whoever is allowed to ask.
 */
export async function applyMove(tx: Tx, auditKey: Buffer, acting: TenantContext, mutation: LifecycleMutation, reason: LifecycleReason): Promise<TenantRow> {
  const move: Move = LIFECYCLE_MOVES[mutation];
  const tenantId = acting.tenantId!;
  const [current] = await tx.query<{ status: TenantStatus; tier: string; partner_id: string | null }>(
    'SELECT status, tier, partner_id FROM tenants WHERE id = $1 FOR UPDATE',
    [tenantId],
  );
  if (!current) throw new NotFoundError('No such tenant');
  if (!move.from.includes(current.status)) {
    throw new InvalidTransitionError(
      `A ${current.status} tenant cannot be moved to ${move.to} (${mutation} takes a tenant that is ${move.from.join(' or ')})`,
      { from: current.status.toUpperCase(), to: move.to.toUpperCase() },
    );
  }
  const [row] = await tx.query<TenantRow>(
    `UPDATE tenants SET status = $2, status_changed_at = now(), offboarded_at = CASE WHEN $2 = 'offboarded' THEN now() ELSE offboarded_at END
      WHERE id = $1
     RETURNING id, slug, name, segment, tier, region, placement, cohort, status, partner_id, created_at`,
    [tenantId, move.to],
  );
  // A suspended tenant's queued jobs wait, in every service's queues, from this commit on.
  if (move.to === 'suspended') await holdTenantJobs(tx, tenantId, 'suspended');
  else if (current.status === 'suspended') await releaseTenantJobs(tx, tenantId);
  await appendAudit(tx, auditKey, acting, {
    owner: { tenantId, partnerId: current.partner_id },
    action: move.action,
    target: `tenant:${tenantId}`,
    detail: { from: current.status, to: move.to, reason },
  });
  await publishEvent(tx, 'tenancy.tenant.status-changed', { ...acting, tier: current.tier }, { from: current.status, to: move.to, reason });
  return row!;
}

function reasonOf(value: string | null | undefined, fallback: LifecycleReason): LifecycleReason {
  if (value == null) return fallback;
  const reason = REASONS[value];
  if (!reason) throw new BadUserInputError(`reason must be one of ${Object.keys(REASONS).join(', ')}`, { argument: 'reason' });
  return reason;
}

const lifecycleMutation =
  (mutation: AdminMove, defaultReason: LifecycleReason) =>
  (_: unknown, args: { id: string; reason?: string | null }, ctx: TenancyContext) =>
    moveTenant(ctx, mutation, requireUuid(args.id, 'id'), reasonOf(args.reason, defaultReason));

export const lifecycleResolvers = {
  Mutation: {
    activateTenant: lifecycleMutation('activateTenant', 'provisioned'),
    suspendTenant: lifecycleMutation('suspendTenant', 'operator_action'),
    resumeTenant: lifecycleMutation('resumeTenant', 'operator_action'),
    offboardTenant: lifecycleMutation('offboardTenant', 'contract_ended'),
  },
};
