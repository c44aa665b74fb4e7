/**
 * A tenant's implementation milestones and its onboarding cycle time (docs/milestones.md).
 *
 * Five milestones, each reached once (the first reach wins, later reports change nothing):
 * `contract_activated` and `users_provisioned` come from the control plane's events, consumed by
 * erp's worker (idempotent by event id through processed_events, and by the table's key);
 * `integrations_validated`, `training_completed` and `go_live` have no event and are recorded by
 * platform admins or the tenant's own admins through `recordMilestone`.
 *
 * The onboarding cycle is the whole UTC days from the day the tenant's contract was signed
 * (erp.contracts.signed_at) to the day it went live; grouped per tenant, per partner (erp's
 * attributions) or per tier (erp's copy of tenancy's, from its escalation-policy events).
 */
import type { Tx } from '../../lib/db/index.js';
import type { EventEnvelope } from '../../lib/events/catalog.js';
import { defineConsumer, type EventConsumer } from '../../lib/events/consumer.js';
import { BadUserInputError, InsufficientScopeError, NotFoundError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import { actingOn, mayActOnTenant } from '../../lib/tenant-context.js';
import { isIsoDate, todayUtc } from './billing-math.js';
import { groupCycles, summariseCycles, type CycleGrouping, type TenantCycle } from './cycle-time.js';
import type { ErpContext } from './subscriptions.js';

/** The milestones, in the order an implementation usually reaches them. */
export const MILESTONES = ['contract_activated', 'users_provisioned', 'integrations_validated', 'training_completed', 'go_live'] as const;
export type Milestone = (typeof MILESTONES)[number];

/** Milestones no event reports: people record them (recordMilestone). */
export const RECORDED_MILESTONES: ReadonlySet<Milestone> = new Set(['integrations_validated', 'training_completed', 'go_live']);

interface MilestoneRow {
  milestone: Milestone;
  reached_at: Date;
  source: 'event' | 'manual';
}

interface Reach {
  tenantId: string;
  milestone: Milestone;
  reachedAt: Date;
  actor: string;
  event?: { id: string; type: string };
}

/** Records a reach unless the milestone was reached before; answers whether it recorded it. */
async function reach(tx: Tx, reached: Reach): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO implementation_milestones (tenant_id, milestone, reached_at, source, source_event_id, source_event_type, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, milestone) DO NOTHING RETURNING milestone`,
    [reached.tenantId, reached.milestone, reached.reachedAt, reached.event ? 'event' : 'manual', reached.event?.id ?? null, reached.event?.type ?? null, reached.actor],
  );
  return inserted.length > 0;
}

const fromEvent = (event: EventEnvelope, milestone: Milestone): Reach => ({
  tenantId: event.tenantId,
  milestone,
  reachedAt: new Date(event.occurredAt),
  actor: event.actor.principalId,
  event: { id: event.id, type: event.type },
});

/** The control plane's events that reach a milestone, on erp's events queue. */
export function milestoneConsumers(queue: QueueDeclaration): EventConsumer[] {
  const contractActivated = defineConsumer({
    name: 'milestone-contract-activated',
    queue,
    type: 'tenancy.tenant.status-changed',
    async handle(event, tx) {
      // The tenant's first activation (PROVISIONING → ACTIVE); a resume from suspension is not one.
      if (event.payload.from === 'provisioning' && event.payload.to === 'active') await reach(tx, fromEvent(event, 'contract_activated'));
    },
  });
  const usersProvisioned = defineConsumer({
    name: 'milestone-users-provisioned',
    queue,
    type: 'tenancy.member.joined',
    async handle(event, tx) {
      await reach(tx, fromEvent(event, 'users_provisioned'));
    },
  });
  // Not a milestone: the tier onboardingCycleTime groups by, kept as tenancy publishes it.
  const tier = defineConsumer({
    name: 'onboarding-tenant-tier',
    queue,
    type: 'tenancy.escalation-policy.changed',
    async handle(event, tx) {
      await tx.query(
        `INSERT INTO tenant_tiers (tenant_id, tier, revision) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET tier = EXCLUDED.tier, revision = EXCLUDED.revision, updated_at = now()
          WHERE tenant_tiers.revision < EXCLUDED.revision`,
        [event.tenantId, event.payload.tier, event.payload.revision],
      );
    },
  });
  return [contractActivated, usersProvisioned, tier] as EventConsumer[];
}

/** Every milestone of the tenant, reached or not, in MILESTONES order. */
async function milestonesOf(tx: Tx, tenantId: string) {
  const rows = await tx.query<MilestoneRow>('SELECT milestone, reached_at, source FROM implementation_milestones WHERE tenant_id = $1', [tenantId]);
  const byKind = new Map(rows.map((row) => [row.milestone, row]));
  return MILESTONES.map((milestone) => toMilestone(milestone, byKind.get(milestone)));
}

const toMilestone = (milestone: Milestone, row: MilestoneRow | undefined) => ({
  milestone: milestone.toUpperCase(),
  reachedAt: row?.reached_at.toISOString() ?? null,
  source: row ? row.source.toUpperCase() : null,
});

/** Whole UTC days from the contract's signing to the go-live, per tenant that went live (and has a contract). */
const CYCLES_SQL = `
  SELECT m.tenant_id AS "tenantId", pa.partner_id AS "partnerId", tt.tier,
         ((m.reached_at AT TIME ZONE 'UTC')::date - (c.signed_at AT TIME ZONE 'UTC')::date) AS days
    FROM implementation_milestones m
    JOIN contracts c ON c.tenant_id = m.tenant_id
    LEFT JOIN partner_attributions pa ON pa.tenant_id = m.tenant_id
    LEFT JOIN tenant_tiers tt ON tt.tenant_id = m.tenant_id
   WHERE m.milestone = 'go_live'`;

async function cycleDaysOf(tx: Tx, tenantId: string): Promise<number | null> {
  const [row] = await tx.query<TenantCycle>(`${CYCLES_SQL} AND m.tenant_id = $1`, [tenantId]);
  return row ? Number(row.days) : null;
}

function requireDate(value: unknown, argument: string): string {
  if (!isIsoDate(value)) throw new BadUserInputError(`${argument} must be a date written YYYY-MM-DD`, { argument });
  return value;
}

/** The window `from`–`to`, both days included. */
function requireWindow(args: { from: unknown; to: unknown }): { from: string; to: string } {
  const from = requireDate(args.from, 'from');
  const to = requireDate(args.to, 'to');
  if (from > to) throw new BadUserInputError('from must be on or before to', { argument: 'from' });
  return { from, to };
}

function requireMilestone(value: unknown): Milestone {
  const milestone = typeof value === 'string' ? (value.toLowerCase() as Milestone) : undefined;
  if (!milestone || !MILESTONES.includes(milestone)) throw new BadUserInputError(`milestone: no milestone ${String(value)}`, { argument: 'milestone' });
  if (!RECORDED_MILESTONES.has(milestone)) {
    throw new BadUserInputError(`milestone: ${milestone.toUpperCase()} is recorded from the control plane's events, not by hand`, { argument: 'milestone' });
  }
  return milestone;
}

async function recordMilestone(ctx: ErpContext, args: { tenantId: unknown; milestone: unknown; reachedOn?: unknown }) {
  const tenantId = requireUuid(args.tenantId, 'tenantId').toLowerCase();
  const roles = ctx.tenant.roles;
  if (!roles.includes('platform_admin') && !roles.includes('tenant_admin')) {
    throw new InsufficientScopeError('Only platform admins and the tenant’s own admins record implementation milestones');
  }
  if (!mayActOnTenant(ctx.tenant, tenantId)) throw new NotFoundError('No such tenant');
  const milestone = requireMilestone(args.milestone);
  const today = todayUtc();
  const reachedOn = args.reachedOn == null ? today : requireDate(args.reachedOn, 'reachedOn');
  if (reachedOn > today) throw new BadUserInputError(`reachedOn cannot be in the future (today is ${today} UTC)`, { argument: 'reachedOn' });
  return ctx.db.withTenant(actingOn(ctx.tenant, tenantId), async (tx) => {
    const [contract] = await tx.query<{ signed_on: string }>(`SELECT (signed_at AT TIME ZONE 'UTC')::date::text AS signed_on FROM contracts WHERE tenant_id = $1`, [tenantId]);
    if (!contract) throw new NotFoundError('The tenant has no contract');
    if (reachedOn < contract.signed_on) {
      throw new BadUserInputError(`reachedOn cannot be before the contract was signed (${contract.signed_on})`, { argument: 'reachedOn' });
    }
    // Today's reach is stamped now; an earlier day's at its start (UTC).
    const reachedAt = reachedOn === today ? new Date() : new Date(`${reachedOn}T00:00:00Z`);
    const recorded = await reach(tx, { tenantId, milestone, reachedAt, actor: ctx.tenant.principal.id });
    const all = await milestonesOf(tx, tenantId);
    return { recorded, milestone: all.find((entry) => entry.milestone === milestone.toUpperCase())! };
  });
}

const GROUPINGS: Record<string, CycleGrouping> = { TENANT: 'tenant', PARTNER: 'partner', TIER: 'tier' };

async function onboardingCycleTime(ctx: ErpContext, args: { from: unknown; to: unknown; groupBy?: unknown }) {
  const { from, to } = requireWindow(args);
  const grouping = GROUPINGS[typeof args.groupBy === 'string' ? args.groupBy : 'TENANT'];
  if (!grouping) throw new BadUserInputError(`groupBy: no grouping ${String(args.groupBy)}`, { argument: 'groupBy' });
  // Row-level security keeps a tenant's caller to its own tenant; platform callers see every tenant.
  const cycles = await ctx.db.withTenant(ctx.tenant, (tx) =>
    tx.query<TenantCycle>(`${CYCLES_SQL} AND (m.reached_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date`, [from, to]),
  );
  return groupCycles(
    cycles.map((cycle) => ({ ...cycle, days: Number(cycle.days) })),
    grouping,
  ).map((group) => ({ ...group, tenant: group.tenantId ? { __typename: 'Tenant', id: group.tenantId } : null }));
}

/** The cycle time of a fleet group's tenants (tenancy names the group and its tenants), as one group keyed by its id. */
async function groupCycleTime(ctx: ErpContext, group: { id: string; tenantIds: string[] }, args: { from: unknown; to: unknown }) {
  const { from, to } = requireWindow(args);
  const cycles = await ctx.db.withTenant(ctx.tenant, (tx) =>
    tx.query<TenantCycle>(`${CYCLES_SQL} AND m.tenant_id = ANY($3::uuid[]) AND (m.reached_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date`, [from, to, group.tenantIds]),
  );
  const summary = summariseCycles(cycles.map((cycle) => ({ ...cycle, days: Number(cycle.days) })));
  return summary && { key: group.id, tenant: null, partnerId: null, tier: null, ...summary };
}

export const milestoneResolvers = {
  Query: {
    onboardingCycleTime: (_: unknown, args: { from: unknown; to: unknown; groupBy?: unknown }, ctx: ErpContext) => onboardingCycleTime(ctx, args),
  },
  Mutation: {
    recordMilestone: (_: unknown, args: { tenantId: unknown; milestone: unknown; reachedOn?: unknown }, ctx: ErpContext) => recordMilestone(ctx, args),
  },
  FleetGroup: {
    onboardingCycleTime: (group: { id: string; tenantIds: string[] }, args: { from: unknown; to: unknown }, ctx: ErpContext) => groupCycleTime(ctx, group, args),
  },
  Tenant: {
    milestones: (tenant: { id: string }, _: unknown, ctx: ErpContext) =>
      mayActOnTenant(ctx.tenant, tenant.id) ? ctx.db.withTenant(ctx.tenant, (tx) => milestonesOf(tx, tenant.id)) : [],
    onboardingCycleDays: (tenant: { id: string }, _: unknown, ctx: ErpContext) =>
      mayActOnTenant(ctx.tenant, tenant.id) ? ctx.db.withTenant(ctx.tenant, (tx) => cycleDaysOf(tx, tenant.id)) : null,
  },
};
