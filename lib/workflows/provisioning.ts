/**
 * The provisioning workflow's shared half: its steps in order with the service that owns each,
 * the job every remote step is handed as, and the runner each owning worker wraps its step in.
 *
 * Tenancy orchestrates (subgraphs/tenancy/provisioning*.ts): it works its own steps in its
 * worker and hands each other step to its owner's `<service>.provisioning` queue. The owner does
 * the step in one transaction with the `<service>.provisioning-step.finished` event that reports
 * it, so a worker killed mid-step leaves neither (the job runs again after its expiry), and a step
 * done twice (a job retried after its commit) reports twice and tenancy takes the first. A step
 * that cannot succeed — a permanent error, or its last attempt spent — reports `failed` instead,
 * with its error, and the workflow stops there until `retryProvisioning`.
 */
import { z } from 'zod';
import type { Tx } from '../db/index.js';
import { DATA_DOMAINS, PROVISIONING_STEP_NAMES } from '../events/catalog.js';
import { publishEvent } from '../events/outbox.js';
import { FinalJobError } from '../jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../jobs/queues.js';
import type { JobDefinition, JobRun } from '../jobs/worker.js';

/** The services that own steps of the workflow: every domain that holds a tenant's data. */
export const STEP_OWNERS = DATA_DOMAINS;
export type StepOwner = (typeof STEP_OWNERS)[number];

/** Every step, in order. */
export const PROVISIONING_STEPS = Object.freeze([
  { name: 'tenant_record', owner: 'tenancy', summary: 'the tenant row, in PROVISIONING, with its run (written by provisionTenant itself)' },
  { name: 'commercial', owner: 'erp', summary: 'contract, subscription on the chosen plan, invoice schedule and partner attribution' },
  { name: 'entitlements', owner: 'erp', summary: 'the features the subscription entitles, checked to cover the workflows the template enables, recorded' },
  { name: 'clinical_workspace', owner: 'clinical-ops', summary: 'the clinical workspace with its workflows; for ISOLATED tenants a database of their own, created and migrated' },
  { name: 'slo_registration', owner: 'observability', summary: 'the objectives of the SLO class (availability, p95 latency, job wait), registered' },
  { name: 'tenant_admin', owner: 'tenancy', summary: 'the first tenant admin, invited (the invitation token was shown once by provisionTenant)' },
  { name: 'onboarding_checklist', owner: 'tenancy', summary: 'the onboarding checklist' },
  { name: 'activation', owner: 'tenancy', summary: 'PROVISIONING → ACTIVE, audited and published' },
] as const satisfies readonly { name: string; owner: StepOwner; summary: string }[]);

export type StepName = (typeof PROVISIONING_STEP_NAMES)[number];

/** What every remote step is given: the run's settings, identifiers only. */
export const stepJobSchema = z
  .object({
    tenantId: z.uuid(),
    step: z.enum(PROVISIONING_STEP_NAMES),
    plan: z.string().regex(/^[a-z][a-z0-9_]*$/),
    tier: z.enum(['standard', 'enhanced', 'critical']),
    placement: z.enum(['pooled', 'isolated']),
    region: z.string().regex(/^[a-z]{2}-[a-z]+$/),
    partnerId: z.uuid().nullable(),
    workflows: z.array(z.enum(['eligibility_checks', 'claims', 'reminders'])).max(10),
    sloClass: z.enum(['standard', 'enhanced', 'critical']),
  })
  .strict();

export type StepJob = z.infer<typeof stepJobSchema>;

/**
 * The queue of an owner's steps. Tenancy's also carries the orchestrator's jobs. Expiry is short:
 * a worker killed mid-step hands its step to the next worker within it.
 */
export function provisioningQueue(owner: StepOwner): QueueDeclaration {
  return defineQueue({ name: `${owner}.provisioning`, retryLimit: 4, retryDelaySeconds: 2, retryDelayMaxSeconds: 60, expireInSeconds: 30 });
}

/** A step that can never succeed as asked (a conflicting record, say): reported failed at once, not retried. */
export class StepFailedError extends FinalJobError {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailedError';
  }
}

/** One step's work, in the step job's transaction (bound to the tenant being provisioned). */
export type StepWork = (job: JobRun<StepJob>, tx: Tx) => Promise<void>;

type FinishedEvent = 'erp.provisioning-step.finished' | 'clinical-ops.provisioning-step.finished' | 'observability.provisioning-step.finished';

/**
 * The job definition of an owner's provisioning queue: validates the job, runs the step's work
 * and publishes its outcome in the same transaction. A retryable error is thrown on (the job runs
 * again after its backoff) except on the last attempt, where the work is rolled back to a
 * savepoint and the failure is reported instead.
 */
export function provisioningStepJob(owner: Exclude<StepOwner, 'tenancy'>, steps: Partial<Record<StepName, StepWork>>): JobDefinition {
  const queue = provisioningQueue(owner);
  const finished: FinishedEvent = `${owner}.provisioning-step.finished`;
  return {
    queue,
    async handle(job: JobRun<unknown>, tx) {
      const parsed = stepJobSchema.safeParse(job.data);
      if (!parsed.success) throw new FinalJobError(`Provisioning step job does not match its schema: ${parsed.error.issues[0]?.message}`);
      const data = parsed.data;
      const work = steps[data.step];
      if (!work) throw new FinalJobError(`${owner} owns no provisioning step ${data.step}`);
      const run = { ...job, data } as JobRun<StepJob>;
      const outcome = await attempt(tx, queue, job, () => work(run, tx));
      await publishEvent(tx, finished, { ...job.context, tier: data.tier }, { step: data.step, attempt: job.attempt, ...outcome });
    },
  };
}

/**
 * Runs one step's work in the job's transaction; answers done, or — when retrying is over (a
 * StepFailedError or other final error, or the job's last attempt) — failed with its error, the
 * work rolled back; an integrity violation is final too. Any other error is thrown on, for the
 * job to be retried.
 */
export async function attempt(
  tx: Tx,
  queue: QueueDeclaration,
  job: Pick<JobRun<unknown>, 'attempt' | 'signal'>,
  work: () => Promise<void>,
): Promise<{ outcome: 'done' | 'failed'; error: string | null }> {
  await tx.query('SAVEPOINT provisioning_step');
  try {
    await work();
    await tx.query('RELEASE SAVEPOINT provisioning_step');
    return { outcome: 'done', error: null };
  } catch (error) {
    const last = error instanceof FinalJobError || isIntegrityViolation(error) || job.attempt > queue.retryLimit;
    if (!last || job.signal.aborted) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT provisioning_step');
    return { outcome: 'failed', error: stepError(error) };
  }
}

/**
 * SQLSTATE class 23: the database refused the step's rows (a check, a unique or a foreign key):
 * the same rows would be refused again, so the step fails at once rather than after its retries.
 */
function isIntegrityViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('23');
}

/** A step's error as recorded: its message, bounded; a database error by its SQLSTATE too, never its detail (which can quote values). */
export function stepError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' ? `${message} (SQLSTATE ${code})` : message).slice(0, 300);
}
