/**
 * One attempt of one job: verify its signature, hand it to its queue's processor, and turn the
 * outcome into pg-boss's settlement — completed; failed (retried with backoff, then
 * dead-lettered); or dead-lettered at once (FinalJobError, or a job refused as forged or
 * misrouted, which is also logged as a security event).
 */
import type { Job, JobResult } from 'pg-boss';
import type { Database, Tx } from '../db/index.js';
import type { Logger } from '../logger.js';
import { runWithRequestContext } from '../request-context.js';
import type { TenantContext } from '../tenant-context.js';
import { errorSummary, FinalJobError, RefusedJobError, ReleasedJobError } from './errors.js';
import { verifyJob, type JobClaims } from './signing.js';

/** What a queue does with a job whose signature verified; throws to fail the attempt. */
export type Processor = (claims: JobClaims, job: Job<unknown>) => Promise<void>;

export interface Settlement {
  key: Buffer;
  logger: Logger;
}

/** Runs one attempt and answers how pg-boss must settle it. Never throws. */
export async function settle(job: Job<unknown>, processor: Processor, { key, logger }: Settlement): Promise<JobResult> {
  const verification = verifyJob(key, job.data);
  const context = verification.ok ? verification.claims.context : null;
  // Inside the job's context, so every line logged (the handler's, and the outcome below) carries its request and tenant.
  const inContext = <T>(fn: () => Promise<T>) => (context ? runWithRequestContext(context, fn) : fn());
  return inContext(async () => {
    try {
      if (!verification.ok) throw new RefusedJobError(`Job refused: ${verification.reason}`);
      await processor(verification.claims, job);
      return { id: job.id, status: 'completed' } as const;
    } catch (error) {
      return failure(job, error, logger);
    }
  });
}

function failure(job: Job<unknown>, error: unknown, logger: Logger): JobResult {
  const summary = errorSummary(error);
  const fields = { queue: job.name, jobId: job.id, attempt: job.retryCount + 1, err: summary };
  if (error instanceof RefusedJobError) {
    // For the operators' security log: a job row nobody holding the key wrote, or one moved between queues.
    logger.warn({ ...fields, securityEvent: 'job_refused' }, 'job refused');
    return { id: job.id, status: 'deadletter', output: summary };
  }
  if (error instanceof FinalJobError) {
    logger.warn(fields, 'job failed for good: sent to its dead-letter queue');
    return { id: job.id, status: 'deadletter', output: summary };
  }
  logger.error(fields, error instanceof ReleasedJobError ? 'job released' : 'job attempt failed: it will be retried');
  return { id: job.id, status: 'failed', output: summary };
}

/**
 * Runs `work` in a transaction bound to `context`, exactly as a request's (row-level security
 * applies). When the attempt was given up meanwhile (`signal`: the worker is shutting down or
 * the job outran its expiry, and pg-boss has already failed it for a retry) the transaction is
 * rolled back instead of committed, so a retry never runs beside a late commit of the attempt
 * before it. The check and the commit are not atomic: an effect may still commit just as the
 * job is given up, which is why handlers key their effects by job or event id.
 */
export async function runInTenant(
  db: Database,
  context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>,
  signal: AbortSignal,
  work: (tx: Tx) => Promise<void>,
): Promise<void> {
  if (signal.aborted) throw new ReleasedJobError();
  await db.withTenant(context, async (tx) => {
    await work(tx);
    if (signal.aborted) throw new ReleasedJobError();
  });
}
