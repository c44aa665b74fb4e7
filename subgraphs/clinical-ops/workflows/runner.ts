/**
 * One attempt of a workflow run (docs/workloads.md), the same for every workflow:
 *
 *   A. In the tenant's database: lock the run; a finished run is left alone, a run whose retry is
 *      not due yet is put back at its time. Otherwise mark it in flight and count the attempt.
 *   B. Outside any transaction: call the external system through its connector, under the run's
 *      idempotency key. When the previous attempt was in flight and never recorded (its worker
 *      died after sending), ask the system first what it received under the key (`recover`).
 *   C. In the tenant's database: record the outcome and what the retry policy decides — succeeded,
 *      rejected for good, retry at a time, or dead-lettered — with the workflow's own effect
 *      (`onAccepted` …) and its usage event, in one transaction.
 *   D. In the job's transaction (the shared database, where the queues live): queue the next
 *      attempt under an id named by the run and attempt, so queuing it twice is one job.
 *
 * A crash anywhere loses nothing: before C the attempt is redone (pg-boss retries the job) and
 * the idempotency key keeps the external act single; between C and D the redone job finds the
 * retry scheduled and queues it (A). No transaction is held open across the external call.
 */
import type { Database, Tx } from '../../../lib/db/index.js';
import { defineConsumer } from '../../../lib/events/consumer.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import { faultPoint } from '../../../lib/fault-points.js';
import { jobIdFor } from '../../../lib/jobs/enqueue.js';
import { tierOf, type QueueDeclaration } from '../../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../../lib/jobs/worker.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import { decide, type Decision } from '../../../lib/workflows/retry-governance.js';
import type { ConnectorCall, ConnectorOutcome } from '../integrations/contract.js';
import { DEDICATED_CAPACITY, queueFor, WORKFLOW_QUEUES, type Workflow } from './queues.js';
import { retryPolicyOf } from './retry-policies.js';

/** What a workflow's job carries: the run, and which attempt the job is for. */
export interface RunJob {
  runId: string;
  attempt: number;
  /** The run's replay the attempt belongs to (0 before any): part of the job's id. */
  replay?: number;
}

/** The job id of an attempt: named by the run, its replay and the attempt, so it is queued once. */
export const attemptJobId = (runId: string, replay: number, attempt: number): string => jobIdFor('workflow-run', runId, replay, attempt);

/** The meters erp counts (its catalog), per workflow. */
const METERS = {
  eligibility_checks: 'eligibility_checks',
  claims: 'claims_submitted',
  reminders: 'reminders_sent',
  documents: 'documents_generated',
} as const satisfies Record<Workflow, string>;

/** What one workflow adds to the common attempt. */
export interface WorkflowSpec<P, B> {
  workflow: Workflow;
  /** The call for the run, read in A's transaction (the run's business record); null when it is gone. */
  prepare(tx: Tx, runId: string, idempotencyKey: string): Promise<ConnectorCall<P> | null>;
  /** The external call (the workflow's connector), over the job's pool (`db`: the integration gateway's). */
  call(context: TenantContext, request: ConnectorCall<P>, db: Database): Promise<ConnectorOutcome<B>>;
  /**
   * After an attempt that was in flight and never recorded: what the system already received under
   * the key, as an outcome (so it is recorded, not sent again), or null when it received nothing.
   */
  recover?(context: TenantContext, request: ConnectorCall<P>, db: Database): Promise<ConnectorOutcome<B> | null>;
  /** The workflow's effect of an accepted outcome, in C's transaction. */
  onAccepted(tx: Tx, runId: string, body: B): Promise<void>;
  /** The workflow's effect of a final refusal, in C's transaction. */
  onRejected?(tx: Tx, runId: string, outcome: Extract<ConnectorOutcome<B>, { kind: 'rejected' }>): Promise<void>;
}

interface RunRow {
  status: string;
  attempts: number;
  replays: number;
  idempotency_key: string;
  due: boolean;
  next_attempt_at: Date | null;
}

type Begun =
  | { kind: 'finished' }
  | { kind: 'not_due'; at: Date; attempt: number; replay: number }
  | { kind: 'attempt'; attempt: number; replay: number; wasInFlight: boolean; request: ConnectorCall<unknown> | null };

async function begin(tx: Tx, spec: WorkflowSpec<unknown, unknown>, runId: string): Promise<Begun> {
  const [run] = await tx.query<RunRow>(
    `SELECT status, attempts, replays, idempotency_key, next_attempt_at, coalesce(next_attempt_at <= now() + interval '1 second', true) AS due
       FROM workflow_runs WHERE id = $1 AND workflow = $2 FOR UPDATE`,
    [runId, spec.workflow],
  );
  if (!run || ['succeeded', 'rejected', 'dead_lettered'].includes(run.status)) return { kind: 'finished' };
  if (run.status === 'retry_scheduled' && !run.due) return { kind: 'not_due', at: run.next_attempt_at!, attempt: run.attempts + 1, replay: run.replays };
  const request = await spec.prepare(tx, runId, run.idempotency_key);
  await tx.query(
    `UPDATE workflow_runs SET status = 'in_flight', attempts = attempts + 1, started_at = now(), first_started_at = coalesce(first_started_at, now()), next_attempt_at = NULL WHERE id = $1`,
    [runId],
  );
  return { kind: 'attempt', attempt: run.attempts + 1, replay: run.replays, wasInFlight: run.status === 'in_flight', request };
}

/** Records the outcome and the decision; answers when the next attempt is due, if any. */
async function record(
  tx: Tx,
  context: TenantContext,
  spec: WorkflowSpec<unknown, unknown>,
  runId: string,
  outcome: ConnectorOutcome<unknown>,
  decision: Decision,
): Promise<Date | null> {
  const error =
    outcome.kind === 'rejected' ? { code: outcome.code, message: outcome.message } : outcome.kind === 'retryable' ? { code: outcome.reason, message: outcome.message } : null;
  if (decision.action === 'complete' || decision.action === 'fail') {
    await tx.query(
      // A success keeps the last failed attempt's error: what the run went through stays readable.
      `UPDATE workflow_runs SET status = $2, finished_at = now(), last_error_code = coalesce($3, last_error_code), last_error = coalesce($4, last_error) WHERE id = $1`,
      [runId, decision.action === 'complete' ? 'succeeded' : 'rejected', error?.code ?? null, error?.message.slice(0, 500) ?? null],
    );
    if (outcome.kind === 'accepted') await spec.onAccepted(tx, runId, outcome.body);
    if (outcome.kind === 'rejected') await spec.onRejected?.(tx, runId, outcome);
    // The work was done either way (a rejected claim was still submitted): erp meters it once per run.
    await publishEvent(tx, 'clinical-ops.usage.recorded', context, { meter: METERS[spec.workflow], quantity: 1, occurredAt: new Date().toISOString() });
    return null;
  }
  if (decision.action === 'dead_letter') {
    await tx.query(`UPDATE workflow_runs SET status = 'dead_lettered', dead_letter_reason = $2, finished_at = now(), last_error_code = $3, last_error = $4 WHERE id = $1`, [
      runId,
      decision.reason,
      error?.code ?? null,
      error?.message.slice(0, 500) ?? null,
    ]);
    return null;
  }
  const [row] = await tx.query<{ next_attempt_at: Date }>(
    `UPDATE workflow_runs SET status = 'retry_scheduled', next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
            last_error_code = $3, last_error = $4 WHERE id = $1 RETURNING next_attempt_at`,
    [runId, decision.delayMs, error?.code ?? null, error?.message.slice(0, 500) ?? null],
  );
  return row!.next_attempt_at;
}

/** The refusal when the run's business record is gone: nothing can be sent. */
const GONE: ConnectorOutcome<never> = { kind: 'rejected', code: 'RECORD_GONE', message: 'the run’s record no longer exists', latencyMs: 0 };

/** Where the next attempt of a run goes: its workflow's queue for the run's tenant (tests name queues of their own). */
export type QueueOf = (workflow: Workflow, context: TenantContext) => QueueDeclaration;

/** One attempt of a run of `spec`, as a job handler. */
export async function attempt<P, B>(spec: WorkflowSpec<P, B>, job: JobRun<RunJob>, jobTx: Tx, queueOf: QueueOf = queueFor, db: Database = job.db): Promise<void> {
  const general = spec as unknown as WorkflowSpec<unknown, unknown>;
  const { runId } = job.data;
  const begun = await db.withTenant(job.context, (tx) => begin(tx, general, runId));
  if (begun.kind === 'finished') return;
  if (begun.kind === 'not_due') {
    await schedule(job, queueOf(spec.workflow, job.context), runId, begun.replay, begun.attempt, begun.at);
    return;
  }
  const policy = await retryPolicyOf(jobTx, spec.workflow);
  let outcome: ConnectorOutcome<unknown>;
  if (!begun.request) outcome = GONE;
  else {
    const request = { ...begun.request, signal: job.signal };
    const recovered = begun.wasInFlight && general.recover ? await general.recover(job.context, request, db) : null;
    outcome = recovered ?? (await general.call(job.context, request, db));
  }
  // A crash here — sent, not yet recorded — is what the idempotency key and `recover` are for.
  faultPoint(`${spec.workflow}.after-send`);
  const reduced = outcome.kind === 'retryable' ? { kind: outcome.kind, reason: outcome.reason } : { kind: outcome.kind };
  const decision = decide(policy, begun.attempt, reduced);
  const due = await db.withTenant(job.context, (tx) => record(tx, job.context, general, runId, outcome, decision));
  if (due) await schedule(job, queueOf(spec.workflow, job.context), runId, begun.replay, begun.attempt + 1, due);
}

/** Queues attempt `next` of the run for `at`, once however often it is asked. */
async function schedule(job: JobRun<RunJob>, queue: QueueDeclaration, runId: string, replay: number, next: number, at: Date): Promise<void> {
  await job.enqueue(queue, { runId, attempt: next, replay } satisfies RunJob, { id: attemptJobId(runId, replay, next), startAfter: at });
}

/** The job definitions of a workflow: its shared queue and its dedicated one, both working runs of `spec`. */
export function workflowJobs<P, B>(spec: WorkflowSpec<P, B>): JobDefinition[] {
  const handle = (job: JobRun<RunJob>, tx: Tx) => attempt(spec, job, tx);
  return [
    { queue: WORKFLOW_QUEUES[spec.workflow].shared, handle },
    { queue: WORKFLOW_QUEUES[spec.workflow].dedicated, handle },
  ];
}

/**
 * Starts a run of `workflow` in the caller's transaction (a mutation's, in the tenant's database):
 * the run row, queued, and the event that has clinical-ops' worker queue its first job — both or
 * neither, wherever the tenant's data lives (the queues are in the shared database; the outbox is
 * in the tenant's, relayed from there). `idempotencyKey` defaults to the run's id.
 */
export async function startRun(tx: Tx, context: TenantContext, workflow: Workflow, runId: string, idempotencyKey: string = runId): Promise<void> {
  const tier = tierOf(context);
  const dedicated = context.entitlements.includes(DEDICATED_CAPACITY);
  await tx.query(`INSERT INTO workflow_runs (id, tenant_id, workflow, status, idempotency_key, tier, dedicated) VALUES ($1, $2, $3, 'queued', $4, $5, $6)`, [
    runId,
    context.tenantId,
    workflow,
    idempotencyKey,
    tier,
    dedicated,
  ]);
  await publishEvent(tx, 'clinical-ops.workflow-run.queued', context, { runId, workflow, tier, dedicated, replay: 0 });
}

/** Queues the first job of each run started (startRun), in the run's tenant's fair share and capacity. */
export function dispatchConsumer(queue: QueueDeclaration) {
  return defineConsumer({
    name: 'workflow-run-dispatch',
    queue,
    type: 'clinical-ops.workflow-run.queued',
    async handle(event, _tx, tools) {
      const { runId, workflow, tier, dedicated, replay } = event.payload;
      const standing = { tier, entitlements: dedicated ? [DEDICATED_CAPACITY] : [] };
      await tools.enqueue(queueFor(workflow, standing), { runId, attempt: 1, replay } satisfies RunJob, { id: attemptJobId(runId, replay, 1), standing });
    },
  });
}
