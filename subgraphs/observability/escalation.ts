/**
 * The control plane's escalation policy, as observability reads it: a copy per tenant kept from
 * `tenancy.escalation-policy.changed` (the highest revision wins, so a late or redelivered event
 * never replaces a newer policy), and `TenantHealth.escalations`, where the tenant stands against
 * each rule over the health window.
 *
 * Of the three signals, observability measures the error budget burn today: the window's error
 * rate over the error rate its availability objective allows (slo_registrations). Incident size
 * and integration backlog have no figure here yet (`observed` null, never escalating): they are
 * measured where incidents and integration queues are kept.
 */
import type { Database } from '../../lib/db/index.js';
import type { EscalationRule } from '../../lib/events/catalog.js';
import { defineConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import { rowLoader } from '../../lib/loaders.js';
import type { TenantContext } from '../../lib/tenant-context.js';

/** Keeps the copy of the tenant's policy, unless it holds a newer revision already. */
export const escalationPolicyCopy = (queue: QueueDeclaration) =>
  defineConsumer({
    name: 'escalation-policy-copy',
    queue,
    type: 'tenancy.escalation-policy.changed',
    async handle(event, tx) {
      const { revision, tier, rules } = event.payload;
      await tx.query(
        `INSERT INTO escalation_policies (tenant_id, revision, tier, rules) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET revision = excluded.revision, tier = excluded.tier, rules = excluded.rules, received_at = now()
          WHERE escalation_policies.revision < excluded.revision`,
        [event.tenantId, revision, tier, JSON.stringify(rules)],
      );
    },
  });

interface PolicyRow {
  tenant_id: string;
  rules: EscalationRule[] | null;
  /** The availability objective, 0–1; null when the tenant has none registered. */
  availability_target: string | null;
}

/** One statement for every tenant of the request whose escalations are asked for. */
export function createEscalationLoader(db: Database, tenant: TenantContext) {
  return rowLoader<string, PolicyRow>(
    db,
    tenant,
    (tx, tenantIds) =>
      tx.query<PolicyRow>(
        `SELECT k.tenant_id, p.rules, s.target::text AS availability_target
           FROM unnest($1::uuid[]) AS k(tenant_id)
           LEFT JOIN escalation_policies p ON p.tenant_id = k.tenant_id
           LEFT JOIN slo_registrations s ON s.tenant_id = k.tenant_id AND s.objective = 'availability'`,
        [tenantIds],
      ),
    (row) => row.tenant_id,
  );
}

/** What TenantHealth hands its escalations: whose health, and its error rate over the window. */
export interface HealthFigures {
  tenantId: string;
  errorRate: number | null;
}

/**
 * Each rule of the tenant's policy with the tenant's figure: the burn rate for the error budget
 * (null without requests or without an availability objective), null for the signals measured
 * elsewhere. Empty until the policy has reached observability.
 */
export function escalationsOf(policy: PolicyRow | null | undefined, figures: HealthFigures) {
  const target = policy?.availability_target == null ? null : Number(policy.availability_target);
  const burn = figures.errorRate === null || target === null || target >= 1 ? null : figures.errorRate / (1 - target);
  return (policy?.rules ?? []).map((rule) => {
    const observed = rule.signal === 'error_budget_burn' ? burn : null;
    return {
      signal: rule.signal.toUpperCase(),
      threshold: rule.threshold,
      escalateTo: rule.escalateTo.map((receiver) => receiver.toUpperCase()),
      source: rule.source.toUpperCase(),
      observed,
      escalating: observed !== null && observed >= rule.threshold,
    };
  });
}
