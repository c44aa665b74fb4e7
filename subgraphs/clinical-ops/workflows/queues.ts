/**
 * The workload plane's queues (docs/workloads.md): one per workflow, so a claims backlog never
 * stands in front of an eligibility check, and within each queue one pg-boss group per tenant
 * with a concurrency per tier (lib/jobs/queues.ts), so one tenant's surge never takes every
 * worker slot and a critical tenant's job is fetched before a standard backlog. Tenants entitled
 * to dedicated capacity (the dedicated-queues add-on, or a plan that includes it) have queues of
 * their own beside the shared ones, with their own worker slots.
 */
import { defineQueue, type QueueDeclaration } from '../../../lib/jobs/queues.js';
import type { TenantContext } from '../../../lib/tenant-context.js';

export const WORKFLOWS = ['eligibility_checks', 'claims', 'reminders', 'documents'] as const;
export type Workflow = (typeof WORKFLOWS)[number];

/** The entitlement that gives a tenant queues of its own (erp's `dedicated_queues` add-on carries it). */
export const DEDICATED_CAPACITY = 'dedicated_capacity';

/** Queue names per workflow: `clinical-ops.<workflow>` and `clinical-ops.<workflow>.dedicated`. */
const NAMES: Record<Workflow, string> = {
  eligibility_checks: 'clinical-ops.eligibility',
  claims: 'clinical-ops.claims',
  reminders: 'clinical-ops.reminders',
  documents: 'clinical-ops.documents',
};

/**
 * pg-boss's own retries cover only what an attempt could not answer (the worker died, the database
 * went away): the retry policy's attempts are counted by the workflow itself (runner.ts). An
 * attempt must finish well inside its expiry: connector timeouts are seconds.
 */
const CRASH_RETRIES = { retryLimit: 10, retryDelaySeconds: 1, retryDelayMaxSeconds: 30, expireInSeconds: 30 } as const;

function declare(workflow: Workflow, dedicated: boolean): QueueDeclaration {
  return defineQueue({
    name: dedicated ? `${NAMES[workflow]}.dedicated` : NAMES[workflow],
    ...CRASH_RETRIES,
    concurrency: dedicated
      ? { perWorker: 4, perTenant: { standard: 4, enhanced: 4, critical: 4 } }
      : { perWorker: 8, perTenant: { standard: 1, enhanced: 2, critical: 4 } },
  });
}

export const WORKFLOW_QUEUES: Readonly<Record<Workflow, { shared: QueueDeclaration; dedicated: QueueDeclaration }>> = Object.freeze(
  Object.fromEntries(WORKFLOWS.map((workflow) => [workflow, { shared: declare(workflow, false), dedicated: declare(workflow, true) }])) as Record<
    Workflow,
    { shared: QueueDeclaration; dedicated: QueueDeclaration }
  >,
);

/** The queue a tenant's run of `workflow` goes to: its own when it is entitled to dedicated capacity. */
export function queueFor(workflow: Workflow, context: Pick<TenantContext, 'entitlements'>): QueueDeclaration {
  return context.entitlements.includes(DEDICATED_CAPACITY) ? WORKFLOW_QUEUES[workflow].dedicated : WORKFLOW_QUEUES[workflow].shared;
}
