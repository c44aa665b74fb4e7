/**
 * Tenant job holds: while a tenant is held (suspended), its jobs wait in their queues — they do
 * not run, fail, dead-letter or spend a retry — and they run once the hold is lifted.
 *
 * - **Where.** One row per held tenant in `caregraph.job_holds`, the schema every service shares
 *   (created with pg-boss's part of the migration, migrate.ts). Tenancy writes it in the very
 *   transaction that changes the tenant's status (subgraphs/tenancy/lifecycle.ts), so every
 *   worker learns of the hold when, and only when, the status change commits.
 * - **The check** is the first statement of a job's own transaction, bound to the job's tenant:
 *   one primary-key lookup, which is all the common (not held) case costs. A job already running
 *   when the hold commits finishes.
 * - **Held.** The job goes back to `created` with `started_on` cleared, which is how pg-boss's own
 *   `restore` returns a job without counting the attempt (its next claim keeps the retry count),
 *   a later `start_after` (HOLD_RECHECK_SECONDS, a safety net) and a marker in `output`. Nothing
 *   else of the job changes; pg-boss's settlement of the attempt then finds no active attempt
 *   and leaves it alone (its attempt fence).
 * - **Released.** Lifting the hold pulls the tenant's held jobs forward. The check locks the hold
 *   row (FOR SHARE) while it puts a job back, so a release waits for it and then sees the job:
 *   none is left waiting for the safety net. The jobs become due RELEASE_MARGIN_SECONDS later,
 *   well after the attempt that held them has been settled.
 * - **Events** are not held: consumers keep the audit and security records running for a
 *   suspended tenant; work a consumer queues as a job for that tenant waits like any job.
 *   Platform-level jobs (no tenant) are never held.
 */
import type { Job } from 'pg-boss';
import type { Tx } from '../db/index.js';
import { APP_ROLE, SHARED_SCHEMA } from '../db/roles.js';
import { PGBOSS_SCHEMA } from './boss.js';

export const JOB_HOLDS_TABLE = `${SHARED_SCHEMA}.job_holds`;

/** How long a held job waits before it checks again, should no release reach it. */
export const HOLD_RECHECK_SECONDS = 300;
/** How long after a release its jobs become due (see the header). */
const RELEASE_MARGIN_SECONDS = 2;
/** What `output` of a held job carries, so that a release finds exactly the jobs it held. */
const HELD_MARKER = '{"heldForTenant": true}';

/** Why a tenant's jobs are held: a closed list, like the lifecycle reasons. */
export type HoldReason = 'suspended';

/**
 * The table, owned by the owner role; run by `npm run migrate` (migrate.ts) after the roles and
 * helpers exist. Idempotent. A tenant-bound transaction may write its own tenant's hold (the
 * lifecycle move is one); platform access reads every hold.
 */
export const JOB_HOLDS_DDL = `
  CREATE TABLE IF NOT EXISTS ${JOB_HOLDS_TABLE} (
    tenant_id uuid PRIMARY KEY,
    reason text NOT NULL CHECK (reason IN ('suspended')),
    held_since timestamptz NOT NULL DEFAULT now()
  );
  ALTER TABLE ${JOB_HOLDS_TABLE} ENABLE ROW LEVEL SECURITY;
  DROP POLICY IF EXISTS tenant_isolation ON ${JOB_HOLDS_TABLE};
  CREATE POLICY tenant_isolation ON ${JOB_HOLDS_TABLE}
    USING (tenant_id = (SELECT ${SHARED_SCHEMA}.current_tenant_id()) OR (SELECT ${SHARED_SCHEMA}.platform_access()))
    WITH CHECK (tenant_id = (SELECT ${SHARED_SCHEMA}.current_tenant_id()));
  REVOKE ALL ON ${JOB_HOLDS_TABLE} FROM PUBLIC;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ${JOB_HOLDS_TABLE} TO ${APP_ROLE};
`;

/** Holds the tenant's jobs, in the caller's transaction (bound to that tenant). Holding twice is harmless. */
export async function holdTenantJobs(tx: Tx, tenantId: string, reason: HoldReason): Promise<void> {
  await tx.query(`INSERT INTO ${JOB_HOLDS_TABLE} (tenant_id, reason) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId, reason]);
}

/**
 * Lifts the tenant's hold, in the caller's transaction, and makes the jobs it held due; answers
 * how many. Waits for a worker that is putting one of the tenant's jobs back right now.
 */
export async function releaseTenantJobs(tx: Tx, tenantId: string): Promise<number> {
  const lifted = await tx.query(`DELETE FROM ${JOB_HOLDS_TABLE} WHERE tenant_id = $1 RETURNING tenant_id`, [tenantId]);
  if (lifted.length === 0) return 0;
  const released = await tx.query(
    `UPDATE ${PGBOSS_SCHEMA}.job SET start_after = now() + make_interval(secs => $2), output = NULL
      WHERE group_id = $1 AND state = 'created' AND output @> '${HELD_MARKER}'::jsonb
      RETURNING id`,
    [tenantId, RELEASE_MARGIN_SECONDS],
  );
  return released.length;
}

/**
 * Puts `job` back when its tenant is held; answers whether it did (the handler must then not
 * run). Call first in the job's transaction, which is bound to `tenantId`.
 */
export async function deferIfHeld(tx: Tx, job: Pick<Job<unknown>, 'id' | 'name' | 'retryCount'>, tenantId: string, recheckSeconds = HOLD_RECHECK_SECONDS): Promise<boolean> {
  const held = await tx.query(`SELECT 1 FROM ${JOB_HOLDS_TABLE} WHERE tenant_id = $1 FOR SHARE`, [tenantId]);
  if (held.length === 0) return false;
  await tx.query(
    `UPDATE ${PGBOSS_SCHEMA}.job
        SET state = 'created', started_on = NULL, heartbeat_on = NULL,
            start_after = now() + make_interval(secs => $4), output = '${HELD_MARKER}'::jsonb
      WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
    [job.name, job.id, job.retryCount, recheckSeconds],
  );
  return true;
}
