/**
 * The workflows' retry policies (migration 013, `workflow_retry_policies`): read from the shared
 * database, where the job's own transaction runs, and kept for a few seconds so an attempt does
 * not read its policy each time while a platform admin's change still applies within seconds.
 */
import type { Tx } from '../../../lib/db/index.js';
import { TtlCache } from '../../../lib/ttl-cache.js';
import { retryPolicySchema, type RetryPolicy } from '../../../lib/workflows/retry-governance.js';
import type { Workflow } from './queues.js';

/** How long a worker keeps a policy it has read. */
export const POLICY_TTL_MS = 5_000;

const cache = new TtlCache<RetryPolicy>(POLICY_TTL_MS, 16);

interface PolicyRow {
  workflow: string;
  max_attempts: number;
  backoff_base_ms: number;
  backoff_max_ms: number;
  jitter: string;
  retry_on: string[];
}

export const POLICY_COLUMNS = 'workflow, max_attempts, backoff_base_ms, backoff_max_ms, jitter, retry_on';

/** A policy row as the decision takes it; throws when the row breaks the schema (the migration's checks make that a bug). */
export function toPolicy(row: PolicyRow): RetryPolicy {
  return retryPolicySchema.parse({
    workflow: row.workflow,
    maxAttempts: row.max_attempts,
    backoffBaseMs: row.backoff_base_ms,
    backoffMaxMs: row.backoff_max_ms,
    jitter: Number(row.jitter),
    retryOn: row.retry_on,
  });
}

/** The workflow's policy, as of at most POLICY_TTL_MS ago. */
export function retryPolicyOf(tx: Tx, workflow: Workflow): Promise<RetryPolicy> {
  return cache.get(workflow, async () => {
    const [row] = await tx.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM workflow_retry_policies WHERE workflow = $1`, [workflow]);
    if (!row) throw new Error(`No retry policy for the workflow ${workflow}: run npm run migrate`);
    return toPolicy(row);
  });
}
