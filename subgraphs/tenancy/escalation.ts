/**
 * The escalation policy (migration 015): per tier, which figure of each signal escalates to whom —
 *
 *   error_budget_burn    the rate the tenant's availability error budget is being spent at, as a
 *                        multiple of the rate that would spend it exactly over the SLO window;
 *   incident_size        tenants affected by one incident the tenant is part of;
 *   integration_backlog  messages waiting in the tenant's integration queues —
 *
 * policy data (`escalation_rules`, changed by migration), with a tenant's own rule for a signal as
 * a protected setting (`escalation`, four-eyes, `tenant_escalation_overrides`).
 *
 * Observability reads the policy from its own copy: every change of a tenant's effective policy
 * (an applied change request, its activation, new tier rules) is published as
 * `tenancy.escalation-policy.changed` with a revision, and `escalation_publications` records what
 * was published, so a policy is sent again only when it changed. A periodic sync publishes what
 * the record does not match: tenants seeded or migrated without an event, and tier rules changed
 * by a migration.
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { ESCALATION_RECEIVERS, ESCALATION_SIGNALS, type EscalationRule, type EscalationSignal } from '../../lib/events/catalog.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { defineQueue } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { actingOn, requirePlatformAdmin, type TenancyContext } from './context.js';

interface RuleRow {
  tenant_id: string;
  tier: 'standard' | 'enhanced' | 'critical';
  signal: EscalationSignal;
  threshold: string;
  escalate_to: EscalationRule['escalateTo'];
  source: EscalationRule['source'];
}

const toRule = (row: Pick<RuleRow, 'signal' | 'threshold' | 'escalate_to' | 'source'>): EscalationRule => ({
  signal: row.signal,
  threshold: Number(row.threshold),
  escalateTo: row.escalate_to,
  source: row.source,
});

/**
 * The effective rules of the given tenants (every tenant, for `null`): their tier's, each replaced
 * by the tenant's own where it has one, in signal order. `live`: leave out tenants offboarding or
 * offboarded (their policy is no longer published).
 */
async function effectiveRules(tx: Tx, tenantIds: readonly string[] | null, live: boolean): Promise<RuleRow[]> {
  return tx.query<RuleRow>(
    `SELECT t.id AS tenant_id, t.tier, r.signal,
            COALESCE(o.threshold, r.threshold)::text AS threshold,
            COALESCE(o.escalate_to, r.escalate_to) AS escalate_to,
            CASE WHEN o.tenant_id IS NULL THEN 'tier' ELSE 'tenant' END AS source
       FROM tenants t
       JOIN escalation_rules r ON r.tier = t.tier
       LEFT JOIN tenant_escalation_overrides o ON o.tenant_id = t.id AND o.signal = r.signal
      WHERE ($1::uuid[] IS NULL OR t.id = ANY ($1)) AND NOT ($3 AND t.status IN ('offboarding', 'offboarded'))
      ORDER BY t.id, array_position($2::text[], r.signal)`,
    [tenantIds, ESCALATION_SIGNALS, live],
  );
}

const canonical = (rules: readonly EscalationRule[]) => JSON.stringify(rules.map((rule) => [rule.signal, Number(rule.threshold), rule.escalateTo, rule.source]));
const sameRules = (a: readonly EscalationRule[], b: readonly EscalationRule[]) => canonical(a) === canonical(b);

function byTenant(rows: readonly RuleRow[]): Map<string, { tier: RuleRow['tier']; rules: EscalationRule[] }> {
  const policies = new Map<string, { tier: RuleRow['tier']; rules: EscalationRule[] }>();
  for (const row of rows) {
    const policy = policies.get(row.tenant_id) ?? { tier: row.tier, rules: [] };
    policy.rules.push(toRule(row));
    policies.set(row.tenant_id, policy);
  }
  return policies;
}

/**
 * Publishes the effective policy of each given tenant (every tenant, for `null`) whose policy
 * differs from the one last published, in the caller's transaction (at platform level, or bound
 * to the one tenant). Answers how many were published.
 */
export async function publishEscalationPolicies(tx: Tx, context: TenantContext, tenantIds: readonly string[] | null): Promise<number> {
  // One publisher at a time, and the rules read only once it holds the lock: a sync pass that read
  // the rules before a change committed would otherwise publish those stale rules under a newer
  // revision than the change's, and observability keeps the highest revision.
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('caregraph:escalation-publications'))`);
  const policies = byTenant(await effectiveRules(tx, tenantIds, true));
  if (policies.size === 0) return 0;
  const published = await tx.query<{ tenant_id: string; revision: number; rules: EscalationRule[] }>(
    'SELECT tenant_id, revision, rules FROM escalation_publications WHERE tenant_id = ANY ($1::uuid[]) FOR UPDATE',
    [[...policies.keys()]],
  );
  const last = new Map(published.map((row) => [row.tenant_id, row]));
  let count = 0;
  for (const [tenantId, { tier, rules }] of policies) {
    const previous = last.get(tenantId);
    // Compared field by field in one order: jsonb keeps an object's keys in an order of its own.
    if (previous && sameRules(previous.rules, rules)) continue;
    const revision = (previous?.revision ?? 0) + 1;
    await tx.query(
      `INSERT INTO escalation_publications (tenant_id, revision, rules) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET revision = excluded.revision, rules = excluded.rules, published_at = now()`,
      [tenantId, revision, JSON.stringify(rules)],
    );
    await publishEvent(tx, 'tenancy.escalation-policy.changed', { ...actingOn(context, tenantId), tier }, { revision, tier, rules });
    count += 1;
  }
  return count;
}

/** How often the sync compares every tenant's effective policy with the one last published. */
const SYNC_EVERY_SECONDS = 600;

/**
 * A failed pass (a tenant row locked or gone mid-pass) is retried within seconds: the pass is
 * idempotent and cheap, and the next periodic run is queued only once this one succeeds.
 */
export const escalationSyncQueue = defineQueue({ name: 'tenancy.escalation-sync', retryLimit: 5, retryDelaySeconds: 2, retryDelayMaxSeconds: 60, expireInSeconds: 300 });

/** The periodic sync, at platform level (and at the worker's first start: seeded tenants). */
export const escalationSyncJob: JobDefinition = {
  queue: escalationSyncQueue,
  every: { seconds: SYNC_EVERY_SECONDS, data: { sync: 'escalation' } },
  async handle(job: JobRun<unknown>, tx) {
    await publishEscalationPolicies(tx, job.context, null);
  },
};

/** The `escalation` governed setting: a tenant's own rule for one signal, or back to its tier's. */
export const escalationSetting = {
  parse(value: unknown) {
    const usage =
      'escalation must be {"signal": "error_budget_burn" | "incident_size" | "integration_backlog", "threshold": <number > 0>, "escalateTo": [<receivers>]}, or {"signal": …, "threshold": null} for the tier’s rule';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BadUserInputError(usage, { argument: 'input.value' });
    const { signal, threshold, escalateTo, ...rest } = value as Record<string, unknown>;
    if (Object.keys(rest).length > 0 || !ESCALATION_SIGNALS.includes(signal as EscalationSignal)) throw new BadUserInputError(usage, { argument: 'input.value' });
    if (threshold === null && escalateTo === undefined) return { signal, threshold: null };
    if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0 || threshold > 1_000_000) {
      throw new BadUserInputError('escalation.threshold must be a number above 0 and at most 1000000, or null for the tier’s rule', { argument: 'input.value' });
    }
    const receivers = escalateTo as unknown[];
    if (
      !Array.isArray(receivers) ||
      receivers.length < 1 ||
      receivers.length > 5 ||
      new Set(receivers).size !== receivers.length ||
      !receivers.every((receiver) => ESCALATION_RECEIVERS.includes(receiver as (typeof ESCALATION_RECEIVERS)[number]))
    ) {
      throw new BadUserInputError(`escalation.escalateTo must be 1–5 different receivers of ${ESCALATION_RECEIVERS.join(', ')}`, { argument: 'input.value' });
    }
    return { signal, threshold, escalateTo: receivers };
  },
  /** The tenant's own rules, by signal (the tier's apply to the rest). */
  async read(tx: Tx, tenantId: string) {
    const rows = await tx.query<{ signal: string; threshold: string; escalate_to: string[] }>(
      'SELECT signal, threshold::text, escalate_to FROM tenant_escalation_overrides WHERE tenant_id = $1 ORDER BY signal',
      [tenantId],
    );
    return Object.fromEntries(rows.map((row) => [row.signal, { threshold: Number(row.threshold), escalateTo: row.escalate_to }]));
  },
  async write(tx: Tx, tenantId: string, value: unknown, approvedBy: string) {
    const { signal, threshold, escalateTo } = value as { signal: string; threshold: number | null; escalateTo?: string[] };
    if (threshold === null) {
      await tx.query('DELETE FROM tenant_escalation_overrides WHERE tenant_id = $1 AND signal = $2', [tenantId, signal]);
      return;
    }
    await tx.query(
      `INSERT INTO tenant_escalation_overrides (tenant_id, signal, threshold, escalate_to, approved_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, signal) DO UPDATE SET threshold = excluded.threshold, escalate_to = excluded.escalate_to, approved_by = excluded.approved_by, created_at = now()`,
      [tenantId, signal, threshold, escalateTo, approvedBy],
    );
  },
};

const toGraph = (rule: EscalationRule) => ({
  signal: rule.signal.toUpperCase(),
  threshold: rule.threshold,
  escalateTo: rule.escalateTo.map((receiver) => receiver.toUpperCase()),
  source: rule.source.toUpperCase(),
});

export const escalationResolvers = {
  Query: {
    /** The tier rules, every tier. */
    async escalationRules(_: unknown, _args: unknown, ctx: TenancyContext) {
      requirePlatformAdmin(ctx.tenant, 'read the escalation policy');
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<Omit<RuleRow, 'tenant_id' | 'source'>>(
          `SELECT tier, signal, threshold::text AS threshold, escalate_to FROM escalation_rules
            ORDER BY array_position(ARRAY['standard', 'enhanced', 'critical'], tier), array_position($1::text[], signal)`,
          [ESCALATION_SIGNALS],
        ),
      );
      return rows.map((row) => ({ tier: row.tier.toUpperCase(), ...toGraph(toRule({ ...row, source: 'tier' })) }));
    },
  },
  Tenant: {
    async escalationPolicy(tenant: { id: string }, _args: unknown, ctx: TenancyContext) {
      requirePlatformAdmin(ctx.tenant, 'read a tenant’s escalation policy');
      const policy = await ctx.loaders.escalationByTenant.load(tenant.id);
      return (policy?.rules ?? []).map(toGraph);
    },
  },
};

/** The loader of Tenant.escalationPolicy: the effective rules of every tenant of the request, in one statement. */
export async function fetchEscalationByTenants(tx: Tx, tenantIds: readonly string[]): Promise<{ tenantId: string; rules: EscalationRule[] }[]> {
  return [...byTenant(await effectiveRules(tx, tenantIds, false))].map(([tenantId, { rules }]) => ({ tenantId, rules }));
}
