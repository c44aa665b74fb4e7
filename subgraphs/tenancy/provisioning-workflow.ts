/**
 * The provisioning workflow's orchestrator, in tenancy's worker (lib/workflows/provisioning.ts
 * has the steps and the protocol). One `tenancy.provisioning` job advances a run by one step:
 * it takes the run's first step not done and either does it here (tenancy's own steps: the first
 * admin, the onboarding checklist, activation) or hands it to its owner's queue and waits for the
 * owner's `…provisioning-step.finished` event. Each advance, each hand-over and each report is
 * one transaction with the step's row, so a worker killed at any point leaves the run where its
 * last commit put it, and the job or event that was in flight runs again and picks up from there.
 *
 * Runs are locked while they advance (`FOR UPDATE`): a duplicate job or a redelivered report
 * finds the step moved on and changes nothing.
 */
import { createLogger } from '../../lib/logger.js';
import { defineConsumer, type ConsumerTools } from '../../lib/events/consumer.js';
import type { EventEnvelope } from '../../lib/events/catalog.js';
import type { Tx } from '../../lib/db/index.js';
import { FinalJobError } from '../../lib/jobs/errors.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { attempt, PROVISIONING_STEPS, provisioningQueue, type StepJob, type StepOwner } from '../../lib/workflows/provisioning.js';
import { appendAudit } from './audit.js';
import { publishEscalationPolicies } from './escalation.js';
import { applyMove } from './lifecycle.js';
import { RUN_COLUMNS, STEP_COLUMNS, type RunRow, type StepRow } from './provisioning.js';

const logger = createLogger('tenancy-worker');

/** Tenancy's steps, and the orchestrator's jobs. */
export const orchestratorQueue = provisioningQueue('tenancy');

const OWNER_OF = new Map<string, StepOwner>(PROVISIONING_STEPS.map((step) => [step.name, step.owner]));
/** Days the first admin's invitation lasts, as any invitation (members.ts). */
const INVITATION_DAYS = 7;

/** What the onboarding checklist starts with. */
const CHECKLIST = [
  ['invite_team', 'Invite the team and give them their roles'],
  ['configure_integrations', 'Connect payers, EHR and pharmacy'],
  ['validate_integrations', 'Validate the integrations with test transactions'],
  ['training', 'Train the staff'],
  ['go_live', 'Go live'],
] as const;

interface Locals {
  tx: Tx;
  run: RunRow;
  context: TenantContext;
  auditKey: Buffer;
}

/** Tenancy's own steps, done in the orchestrator's transaction. */
const LOCAL_STEPS: Record<string, (locals: Locals) => Promise<void>> = {
  async tenant_admin({ tx, run, context, auditKey }) {
    const [member] = await tx.query<{ id: string }>(
      `INSERT INTO tenant_members (id, tenant_id, email, roles, status, invitation_hash, invitation_expires_at, invited_by)
       VALUES (gen_random_uuid(), $1, $2, ARRAY['tenant_admin'], 'invited', $3, now() + make_interval(days => $4), $5)
       ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id`,
      [run.tenant_id, run.request.adminEmail, run.invitation_hash, INVITATION_DAYS, run.requested_by],
    );
    if (!member) return;
    await appendAudit(tx, auditKey, context, {
      owner: { tenantId: run.tenant_id, partnerId: run.request.partnerId },
      action: 'member.invited',
      target: `member:${member.id}`,
      detail: { roles: ['tenant_admin'], by: 'provisioning' },
    });
  },
  async onboarding_checklist({ tx, run }) {
    await tx.query(
      `INSERT INTO onboarding_checklist (tenant_id, item, position, title)
       SELECT $1, item, position, title FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c (item, title, position)
       ON CONFLICT (tenant_id, item) DO NOTHING`,
      [run.tenant_id, CHECKLIST.map(([item]) => item), CHECKLIST.map(([, title]) => title)],
    );
  },
  async activation({ tx, run, context, auditKey }) {
    const [tenant] = await tx.query<{ status: string }>('SELECT status FROM tenants WHERE id = $1', [run.tenant_id]);
    // Activated by hand meanwhile: nothing left to move.
    if (tenant?.status === 'provisioning') await applyMove(tx, auditKey, context, 'activateTenant', 'provisioned');
    // Active with its escalation policy published: observability escalates by it from now on.
    await publishEscalationPolicies(tx, context, [run.tenant_id]);
  },
};

async function lockRun(tx: Tx, tenantId: string): Promise<RunRow | undefined> {
  const [run] = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM provisioning_runs WHERE tenant_id = $1 FOR UPDATE`, [tenantId]);
  return run?.status === 'running' ? run : undefined;
}

const stepJob = (run: RunRow, step: StepJob['step']): StepJob => ({
  tenantId: run.tenant_id,
  step,
  plan: run.request.plan,
  tier: run.request.tier,
  placement: run.request.placement,
  region: run.request.region,
  partnerId: run.request.partnerId,
  workflows: run.request.workflows,
  sloClass: run.request.sloClass,
});

/** Stops the run at a failed step: the tenant stays PROVISIONING until retryProvisioning. */
async function failRun(tx: Tx, auditKey: Buffer, context: Pick<TenantContext, 'principal' | 'roles' | 'requestId'>, run: RunRow, step: string, error: string): Promise<void> {
  await tx.query(`UPDATE provisioning_steps SET status = 'failed', error = $3, finished_at = now() WHERE tenant_id = $1 AND step = $2`, [run.tenant_id, step, error]);
  await tx.query(`UPDATE provisioning_runs SET status = 'failed', error = $2, finished_at = now() WHERE tenant_id = $1`, [run.tenant_id, `${step}: ${error}`.slice(0, 500)]);
  await appendAudit(tx, auditKey, context, {
    owner: { tenantId: run.tenant_id, partnerId: run.request.partnerId },
    action: 'tenant.provisioning-failed',
    target: `tenant:${run.tenant_id}`,
    detail: { step },
  });
  logger.warn({ tenantId: run.tenant_id, step }, 'provisioning stopped at a failed step');
}

async function finishStep(tx: Tx, run: RunRow, step: string, attempts: number, enqueueNext: () => Promise<unknown>): Promise<void> {
  await tx.query(`UPDATE provisioning_steps SET status = 'done', attempts = $3, finished_at = now(), error = NULL WHERE tenant_id = $1 AND step = $2`, [
    run.tenant_id,
    step,
    attempts,
  ]);
  if (step === PROVISIONING_STEPS.at(-1)!.name) {
    await tx.query(`UPDATE provisioning_runs SET status = 'completed', finished_at = now() WHERE tenant_id = $1`, [run.tenant_id]);
  } else {
    await enqueueNext();
  }
}

const advanceJob: JobDefinition = {
  queue: orchestratorQueue,
  async handle(job: JobRun<{ tenantId: string }>, tx) {
    const tenantId = job.context.tenantId;
    if (!tenantId || job.data.tenantId !== tenantId) throw new FinalJobError('A provisioning job acts on the tenant it was queued for');
    const run = await lockRun(tx, tenantId);
    if (!run) return;
    const steps = await tx.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM provisioning_steps WHERE tenant_id = $1 ORDER BY position FOR UPDATE`, [tenantId]);
    const next = steps.find((step) => step.status !== 'done');
    if (!next || next.status === 'failed') return;
    const owner = OWNER_OF.get(next.step);
    const again = () => job.enqueue(orchestratorQueue, { tenantId });
    if (owner !== 'tenancy') {
      // Handed over already: the owner's report advances the run.
      if (next.status === 'running') return;
      await tx.query(`UPDATE provisioning_steps SET status = 'running', attempts = attempts + 1, started_at = now() WHERE tenant_id = $1 AND step = $2`, [tenantId, next.step]);
      await job.enqueue(provisioningQueue(owner!), stepJob(run, next.step as StepJob['step']));
      return;
    }
    const work = LOCAL_STEPS[next.step];
    if (!work) throw new FinalJobError(`Tenancy has no provisioning step ${next.step}`);
    const auditKey = job.deriveKey('audit');
    const locals: Locals = { tx, run, context: job.context, auditKey };
    const outcome = await attempt(tx, orchestratorQueue, job, () => work(locals));
    await tx.query(`UPDATE provisioning_steps SET started_at = coalesce(started_at, now()) WHERE tenant_id = $1 AND step = $2`, [tenantId, next.step]);
    if (outcome.outcome === 'failed') {
      await tx.query(`UPDATE provisioning_steps SET attempts = attempts + $3 WHERE tenant_id = $1 AND step = $2`, [tenantId, next.step, job.attempt]);
      await failRun(tx, auditKey, job.context, run, next.step, outcome.error ?? 'failed');
      return;
    }
    await finishStep(tx, run, next.step, next.attempts + job.attempt, again);
  },
};

/** A step's owner reported it: record the outcome, and advance (done) or stop (failed). */
async function stepReported(event: EventEnvelope<FinishedType>, tx: Tx, tools: ConsumerTools): Promise<void> {
  const { step, outcome, attempt: attemptNo, error } = event.payload;
  const reporter = event.type.slice(0, event.type.indexOf('.'));
  if (OWNER_OF.get(step) !== reporter) throw new FinalJobError(`${reporter} does not own provisioning step ${step}`);
  const run = await lockRun(tx, event.tenantId);
  if (!run) return;
  const [row] = await tx.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM provisioning_steps WHERE tenant_id = $1 AND step = $2 FOR UPDATE`, [event.tenantId, step]);
  // A second report of a step done (its job retried after the commit), or of a step no longer waiting.
  if (row?.status !== 'running') return;
  // The hand-over counted one attempt; the owner's job says how many it took.
  const attempts = row.attempts - 1 + attemptNo;
  if (outcome === 'failed') {
    await tx.query(`UPDATE provisioning_steps SET attempts = $3 WHERE tenant_id = $1 AND step = $2`, [event.tenantId, step, attempts]);
    await failRun(tx, tools.deriveKey('audit'), consumerActor(event), run, step, error ?? 'failed');
    return;
  }
  await finishStep(tx, run, step, attempts, () => tools.enqueue(orchestratorQueue, { tenantId: event.tenantId }));
}

type FinishedType = 'erp.provisioning-step.finished' | 'clinical-ops.provisioning-step.finished' | 'observability.provisioning-step.finished';

/** The audit's actor of a consumer's act: the worker, on behalf of the request that caused it. */
const consumerActor = (event: EventEnvelope) => ({ principal: { id: 'service:tenancy-worker', kind: 'service' as const }, roles: [], requestId: event.actor.requestId });

export function provisioningConsumers(queue: QueueDeclaration) {
  const reported = (name: string, type: FinishedType) => defineConsumer({ name, queue, type, handle: stepReported });
  return [
    // A start or a resume becomes the run's first advance, in the consumer's transaction.
    defineConsumer({
      name: 'provisioning-requested',
      queue,
      type: 'tenancy.provisioning.requested',
      async handle(event, _tx, tools) {
        await tools.enqueue(orchestratorQueue, { tenantId: event.tenantId });
      },
    }),
    reported('provisioning-erp-step', 'erp.provisioning-step.finished'),
    reported('provisioning-clinical-step', 'clinical-ops.provisioning-step.finished'),
    reported('provisioning-observability-step', 'observability.provisioning-step.finished'),
  ];
}

export const provisioningJobs: JobDefinition[] = [advanceJob];
