/**
 * Retry governance for workflows that call external systems (docs/workloads.md): what an attempt's
 * outcome means for the work, decided by the workflow's retry policy — data in the database, not
 * code — so operators change attempts and backoff per workflow without a release.
 *
 * A workflow records every attempt's outcome in its own row and schedules the next attempt itself
 * (a new job, `startAfter` the backoff). A job that throws is rolled back, so an outcome recorded
 * before a throw would be lost; pg-boss's own retries are left for what a handler cannot answer
 * (a crash, a lost database), and redo the same attempt.
 *
 * Backoff is exponential with "full jitter" (AWS architecture blog, "Exponential backoff and
 * jitter"): delay(n) = random between (1 − jitter) and 1 of min(max, base · 2^(n−1)) for the n-th
 * retry, so retries of work that failed together spread out instead of arriving together.
 */
import { z } from 'zod';
import { RETRYABLE_REASONS } from '../events/catalog.js';

/** Why an attempt may work later: the reasons of a connector's `retryable` outcome (defined with the integration outcomes it is counted in). */
export { RETRYABLE_REASONS };
export type RetryableReason = (typeof RETRYABLE_REASONS)[number];

/** A workflow's retry policy, as its row in `workflow_retry_policies` holds it. */
export const retryPolicySchema = z
  .object({
    workflow: z.string().min(1),
    /** Attempts in all, the first included, before the work is dead-lettered. */
    maxAttempts: z.number().int().min(1).max(50),
    /** Delay before the first retry, in milliseconds. */
    backoffBaseMs: z.number().int().min(0),
    /** Ceiling of one delay, in milliseconds. */
    backoffMaxMs: z.number().int().min(0),
    /** Share of the delay left to chance: 0 = no jitter, 1 = anywhere from 0 to the delay. */
    jitter: z.number().min(0).max(1),
    /** The retryable reasons this workflow retries; any other retryable outcome dead-letters at once. */
    retryOn: z.array(z.enum(RETRYABLE_REASONS)),
  })
  .refine((policy) => policy.backoffMaxMs >= policy.backoffBaseMs, { message: 'backoffMaxMs must be at least backoffBaseMs', path: ['backoffMaxMs'] });
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** An attempt's outcome, as the connector gave it (contract.ts), reduced to what governance needs. */
export type AttemptOutcome = { kind: 'accepted' } | { kind: 'rejected' } | { kind: 'retryable'; reason: RetryableReason };

/** What to do after attempt `attempt` (1-based). */
export type Decision =
  | { action: 'complete' }
  | { action: 'fail' }
  | { action: 'retry'; attempt: number; delayMs: number }
  | { action: 'dead_letter'; reason: 'attempts_exhausted' | 'not_retried' };

/** The backoff before retry `retry` (1 = the first retry), jittered by `random()` in [0, 1). */
export function backoffMs(policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs' | 'jitter'>, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * (1 - policy.jitter * random()));
}

/**
 * The decision after an attempt: accepted completes; rejected fails for good (the system refused
 * the work itself, so retrying cannot help); retryable retries while attempts remain and the
 * policy retries that reason, and dead-letters otherwise.
 */
export function decide(policy: RetryPolicy, attempt: number, outcome: AttemptOutcome, random: () => number = Math.random): Decision {
  if (outcome.kind === 'accepted') return { action: 'complete' };
  if (outcome.kind === 'rejected') return { action: 'fail' };
  if (!policy.retryOn.includes(outcome.reason)) return { action: 'dead_letter', reason: 'not_retried' };
  if (attempt >= policy.maxAttempts) return { action: 'dead_letter', reason: 'attempts_exhausted' };
  return { action: 'retry', attempt: attempt + 1, delayMs: backoffMs(policy, attempt, random) };
}
