/**
 * The workload plane in the graph (docs/workloads.md): a tenant's workflow runs and their queue
 * figures (depth, age of the oldest waiting run, outcomes over a window), the retry policies, and
 * the platform admins' replay of dead letters.
 */
import { BadUserInputError } from '../../../lib/errors.js';
import { requireUuid } from '../../../lib/ids.js';
import { actingOn, atPlatform, mayActOnTenant } from '../../../lib/tenant-context.js';
import type { ClinicalContext } from '../context.js';
import { WORKFLOWS } from './queues.js';
import { replayDeadLetters, workflowOf, type DeadLetterFilter } from './replay.js';
import { POLICY_COLUMNS, toPolicy } from './retry-policies.js';

export const RUN_COLUMNS = `id, workflow, status, attempts, last_error_code, last_error, dead_letter_reason, replays, queued_at, next_attempt_at, started_at, finished_at`;

export interface RunRow {
  id: string;
  workflow: string;
  status: string;
  attempts: number;
  last_error_code: string | null;
  last_error: string | null;
  dead_letter_reason: string | null;
  replays: number;
  queued_at: Date;
  next_attempt_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** A run row as the graph's WorkflowRun. */
export const toRun = (row: RunRow) => ({
  id: row.id,
  workflow: row.workflow.toUpperCase(),
  status: row.status.toUpperCase(),
  attempts: row.attempts,
  lastErrorCode: row.last_error_code,
  lastError: row.last_error,
  deadLetterReason: row.dead_letter_reason?.toUpperCase() ?? null,
  replays: row.replays,
  queuedAt: row.queued_at.toISOString(),
  nextAttemptAt: iso(row.next_attempt_at),
  startedAt: iso(row.started_at),
  finishedAt: iso(row.finished_at),
});

const STATUSES = ['queued', 'in_flight', 'retry_scheduled', 'succeeded', 'rejected', 'dead_lettered'];

/** The tenant a workload read is about: the caller's own at tenant level; any one, named, at platform level. */
function tenantOf(ctx: ClinicalContext, tenantId: unknown): string {
  if (ctx.tenant.access === 'tenant' && tenantId == null) return ctx.tenant.tenantId!;
  const id = requireUuid(tenantId, 'tenantId').toLowerCase();
  if (!mayActOnTenant(ctx.tenant, id)) throw new BadUserInputError('tenantId must be the tenant of the request', { argument: 'tenantId' });
  return id;
}

interface StatsRow {
  workflow: string;
  depth: number;
  in_flight: number;
  oldest_queued_at: Date | null;
  succeeded: number;
  rejected: number;
  dead_lettered: number;
  retried: number;
}

export const workloadResolvers = {
  Query: {
    async workflowRuns(_: unknown, args: { tenantId?: unknown; workflow?: unknown; status?: unknown; first?: number | null }, ctx: ClinicalContext) {
      const tenantId = tenantOf(ctx, args.tenantId);
      const workflow = args.workflow == null ? null : workflowOf(args.workflow);
      const status = typeof args.status === 'string' ? args.status.toLowerCase() : null;
      if (status && !STATUSES.includes(status)) throw new BadUserInputError(`status must be one of ${STATUSES.map((s) => s.toUpperCase()).join(', ')}`, { argument: 'status' });
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be 1–200', { argument: 'first' });
      const rows = await ctx.db.withTenant(actingOn(ctx.tenant, tenantId), (tx) =>
        tx.query<RunRow>(
          `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE tenant_id = $1 AND ($2::text IS NULL OR workflow = $2) AND ($3::text IS NULL OR status = $3)
            ORDER BY queued_at DESC, id LIMIT $4`,
          [tenantId, workflow, status, first],
        ),
      );
      return rows.map(toRun);
    },

    async workloadStats(_: unknown, args: { tenantId?: unknown; windowMinutes?: number | null }, ctx: ClinicalContext) {
      const tenantId = tenantOf(ctx, args.tenantId);
      const window = args.windowMinutes ?? 60;
      if (!Number.isInteger(window) || window < 1 || window > 7 * 24 * 60) throw new BadUserInputError('windowMinutes must be 1–10080', { argument: 'windowMinutes' });
      const rows = await ctx.db.withTenant(actingOn(ctx.tenant, tenantId), (tx) =>
        tx.query<StatsRow>(
          `SELECT w.workflow,
                  count(r.id) FILTER (WHERE r.status IN ('queued', 'retry_scheduled'))::int AS depth,
                  count(r.id) FILTER (WHERE r.status = 'in_flight')::int AS in_flight,
                  min(r.queued_at) FILTER (WHERE r.status IN ('queued', 'retry_scheduled', 'in_flight')) AS oldest_queued_at,
                  count(r.id) FILTER (WHERE r.status = 'succeeded' AND r.finished_at > now() - make_interval(mins => $2))::int AS succeeded,
                  count(r.id) FILTER (WHERE r.status = 'rejected' AND r.finished_at > now() - make_interval(mins => $2))::int AS rejected,
                  count(r.id) FILTER (WHERE r.status = 'dead_lettered' AND r.finished_at > now() - make_interval(mins => $2))::int AS dead_lettered,
                  count(r.id) FILTER (WHERE r.attempts > 1 AND coalesce(r.finished_at, now()) > now() - make_interval(mins => $2))::int AS retried
             FROM unnest($3::text[]) AS w (workflow)
             LEFT JOIN workflow_runs r ON r.workflow = w.workflow AND r.tenant_id = $1
              AND (r.status IN ('queued', 'retry_scheduled', 'in_flight') OR r.finished_at > now() - make_interval(mins => $2))
            GROUP BY w.workflow ORDER BY w.workflow`,
          [tenantId, window, [...WORKFLOWS]],
        ),
      );
      const now = Date.now();
      return rows.map((row) => ({
        workflow: row.workflow.toUpperCase(),
        depth: row.depth,
        inFlight: row.in_flight,
        oldestWaitSeconds: row.oldest_queued_at ? Math.max(0, Math.round((now - row.oldest_queued_at.getTime()) / 1000)) : null,
        succeeded: row.succeeded,
        rejected: row.rejected,
        deadLettered: row.dead_lettered,
        retried: row.retried,
      }));
    },

    async retryPolicies(_: unknown, _args: unknown, ctx: ClinicalContext) {
      // Platform policy data: the shared database's rows, which the workers read.
      const rows = await ctx.db.withTenant(atPlatform(ctx.tenant), (tx) => tx.query<Parameters<typeof toPolicy>[0]>(`SELECT ${POLICY_COLUMNS} FROM workflow_retry_policies ORDER BY workflow`));
      return rows.map(toPolicy).map((policy) => ({
        ...policy,
        workflow: policy.workflow.toUpperCase(),
        retryOn: policy.retryOn.map((reason) => reason.toUpperCase()),
      }));
    },
  },
  Mutation: {
    replayDeadLetters: (_: unknown, args: { workflow: unknown; tenantId: unknown; filter?: DeadLetterFilter | null }, ctx: ClinicalContext) => replayDeadLetters(ctx, args),
  },
};
