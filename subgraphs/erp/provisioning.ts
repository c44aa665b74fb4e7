/**
 * Erp's steps of a tenant's provisioning (lib/workflows/provisioning.ts), run by erp's worker in
 * a transaction bound to the new tenant:
 *
 * - `commercial`: the contract (12 months, auto-renewing, at the plan's price), the subscription
 *   on the chosen plan (ACTIVE from today, its first history row), the monthly invoice schedule
 *   from today (the first, prorated invoice is issued today), and the partner attribution when a partner brought the tenant;
 * - `entitlements`: the plan's features, checked to cover every clinical workflow the template
 *   switches on, recorded as what the tenant was provisioned with.
 *
 * Each write is keyed by the tenant and checked against what is there already: the same step run
 * twice changes nothing, and a record that contradicts the request (a subscription on another
 * plan, say) fails the step for good with a message naming it, rather than being overwritten.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import type { JobRun } from '../../lib/jobs/worker.js';
import { provisioningStepJob, StepFailedError, type StepJob } from '../../lib/workflows/provisioning.js';
import { todayUtc } from './billing-math.js';
import { recordChange } from './billing.js';

/** The term of a contract made by provisioning. */
const TERM_MONTHS = 12;

async function planOf(tx: Tx, code: string): Promise<{ features: string[]; monthly_price_minor: string; currency: string }> {
  const [plan] = await tx.query<{ features: string[]; monthly_price_minor: string; currency: string }>(
    'SELECT features, monthly_price_minor, currency FROM plans WHERE code = $1',
    [code],
  );
  if (!plan) throw new StepFailedError(`No plan ${code} in the catalog`);
  return plan;
}

async function commercial(tx: Tx, job: JobRun<StepJob>): Promise<void> {
  const { data } = job;
  const plan = await planOf(tx, data.plan);
  const today = todayUtc();
  await tx.query(
    `INSERT INTO contracts (id, tenant_id, plan_code, term_months, value_minor, currency, auto_renew, signed_at, activated_at, term_start, term_end)
     VALUES ($1, $2, $3, $4::integer, $5::bigint * $4::integer, $6, true, now(), now(), $7::date, ($7::date + make_interval(months => $4::integer))::date)
     ON CONFLICT (tenant_id) DO NOTHING`,
    [randomUUID(), data.tenantId, data.plan, TERM_MONTHS, plan.monthly_price_minor, plan.currency, today],
  );
  const started = await tx.query(
    `INSERT INTO subscriptions (id, tenant_id, plan_code, status, started_at, currency) VALUES ($1, $2, $3, 'active', now(), $4)
     ON CONFLICT (tenant_id) DO NOTHING RETURNING id`,
    [randomUUID(), data.tenantId, data.plan, plan.currency],
  );
  if (started.length > 0) {
    // The history starts with the subscription; the billing sweep issues the first invoice today.
    const state = { plan: data.plan, addons: [], status: 'active' as const, currency: plan.currency, pendingPlan: null, cancelAtPeriodEnd: false };
    await recordChange(tx, { context: job.context, actor: job.context.principal.id }, data.tenantId, 'started', today, state);
  }
  const [subscription] = await tx.query<{ plan_code: string }>('SELECT plan_code FROM subscriptions WHERE tenant_id = $1', [data.tenantId]);
  const [contract] = await tx.query<{ plan_code: string }>('SELECT plan_code FROM contracts WHERE tenant_id = $1', [data.tenantId]);
  for (const [record, found] of [['subscription', subscription], ['contract', contract]] as const) {
    if (found?.plan_code !== data.plan) throw new StepFailedError(`The tenant has a ${record} on plan ${found?.plan_code} already, not ${data.plan}`);
  }
  await tx.query(
    `INSERT INTO invoice_schedules (tenant_id, cadence, next_period_start) VALUES ($1, 'monthly', $2) ON CONFLICT (tenant_id) DO NOTHING`,
    [data.tenantId, today],
  );
  if (data.partnerId) {
    await tx.query('INSERT INTO partner_attributions (tenant_id, partner_id) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING', [data.tenantId, data.partnerId]);
    const [attribution] = await tx.query<{ partner_id: string }>('SELECT partner_id FROM partner_attributions WHERE tenant_id = $1', [data.tenantId]);
    if (attribution?.partner_id !== data.partnerId) throw new StepFailedError('The tenant is attributed to another partner already');
  }
}

async function entitlements(tx: Tx, data: StepJob): Promise<void> {
  const plan = await planOf(tx, data.plan);
  const missing = data.workflows.filter((workflow) => !plan.features.includes(workflow));
  if (missing.length > 0) throw new StepFailedError(`Plan ${data.plan} does not include ${missing.join(', ')}, which the template switches on`);
  await tx.query(
    `INSERT INTO provisioned_entitlements (tenant_id, plan_code, features, workflows) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING`,
    [data.tenantId, data.plan, plan.features, data.workflows],
  );
}

/** Erp's provisioning queue and its steps. */
export const erpProvisioningJob = provisioningStepJob('erp', {
  commercial: (job, tx) => commercial(tx, job),
  entitlements: (job, tx) => entitlements(tx, job.data),
});
