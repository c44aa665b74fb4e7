/**
 * `replayDeadLetters(workflow, tenantId, filter)` (docs/workloads.md): platform admins queue a
 * tenant's dead-lettered runs of one workflow again — after the payer is back, a mapping fixed —
 * each with its attempts afresh and the same idempotency key (what the system already received
 * is not done twice). Runs are taken oldest first, at most `limit`; each replay is published and
 * written to the tenant's audit chain by tenancy (identifiers and counts, never PHI).
 */
import { BadUserInputError } from '../../../lib/errors.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import { requireUuid } from '../../../lib/ids.js';
import { actingOn, requirePlatformAdmin } from '../../../lib/tenant-context.js';
import type { ClinicalContext } from '../context.js';
import { WORKFLOWS, type Workflow } from './queues.js';

export interface DeadLetterFilter {
  errorCode?: string | null;
  deadLetteredAfter?: string | null;
  deadLetteredBefore?: string | null;
  limit?: number | null;
}

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_REPLAY = 500;

function instant(value: string | null | undefined, argument: string): string | null {
  if (value == null) return null;
  if (Number.isNaN(Date.parse(value))) throw new BadUserInputError(`${argument} must be an ISO-8601 date-time`, { argument });
  return new Date(value).toISOString();
}

/** The GraphQL enum value (CLAIMS …) as the workflow's name, refusing any other. */
export function workflowOf(value: unknown, argument = 'workflow'): Workflow {
  const workflow = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(WORKFLOWS as readonly string[]).includes(workflow)) throw new BadUserInputError(`${argument} must be one of ${WORKFLOWS.map((w) => w.toUpperCase()).join(', ')}`, { argument });
  return workflow as Workflow;
}

export async function replayDeadLetters(ctx: ClinicalContext, args: { workflow: unknown; tenantId: unknown; filter?: DeadLetterFilter | null }) {
  requirePlatformAdmin(ctx.tenant, 'replay dead letters');
  const workflow = workflowOf(args.workflow);
  const tenantId = requireUuid(args.tenantId, 'tenantId').toLowerCase();
  const filter = args.filter ?? {};
  if (filter.errorCode != null && !ERROR_CODE.test(filter.errorCode)) throw new BadUserInputError('filter.errorCode must be a code of 1–64 letters, digits, . _ -', { argument: 'filter.errorCode' });
  const after = instant(filter.deadLetteredAfter, 'filter.deadLetteredAfter');
  const before = instant(filter.deadLetteredBefore, 'filter.deadLetteredBefore');
  if (after && before && after >= before) throw new BadUserInputError('filter.deadLetteredAfter must be before filter.deadLetteredBefore', { argument: 'filter.deadLetteredAfter' });
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY) throw new BadUserInputError(`filter.limit must be 1–${MAX_REPLAY}`, { argument: 'filter.limit' });

  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const runs = await tx.query<{ id: string; tier: 'standard' | 'enhanced' | 'critical'; dedicated: boolean; replays: number }>(
      `UPDATE workflow_runs r SET status = 'queued', attempts = 0, replays = r.replays + 1, dead_letter_reason = NULL, next_attempt_at = NULL,
              finished_at = NULL, queued_at = now()
        WHERE r.id IN (SELECT id FROM workflow_runs
                        WHERE tenant_id = $1 AND workflow = $2 AND status = 'dead_lettered'
                          AND ($3::text IS NULL OR last_error_code = $3)
                          AND ($4::timestamptz IS NULL OR finished_at >= $4) AND ($5::timestamptz IS NULL OR finished_at < $5)
                        ORDER BY finished_at, id LIMIT $6 FOR UPDATE)
        RETURNING r.id, r.tier, r.dedicated, r.replays`,
      [tenantId, workflow, filter.errorCode ?? null, after, before, limit],
    );
    for (const run of runs) {
      await publishEvent(tx, 'clinical-ops.workflow-run.queued', { ...acting, tier: run.tier }, { runId: run.id, workflow, tier: run.tier, dedicated: run.dedicated, replay: run.replays });
    }
    await publishEvent(tx, 'clinical-ops.dead-letters.replayed', acting, {
      workflow,
      replayed: runs.length,
      errorCode: filter.errorCode ?? null,
      deadLetteredAfter: after,
      deadLetteredBefore: before,
    });
    return { workflow: workflow.toUpperCase(), tenantId, replayed: runs.length, runIds: runs.map((run) => run.id) };
  });
}
