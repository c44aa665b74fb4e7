/**
 * Clinical-ops' worker process (workload plane). It relays clinical-ops' outboxes — the shared
 * database's and every isolated tenant's own — to the queues of the domains that consume them,
 * runs clinical-ops' provisioning step and moves tenants between placements (placement.ts); the
 * asynchronous workflows (eligibility, claims, reminders, documents) join it here as job queues.
 */
import type { Config } from '../../lib/config.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { placementApproved, placementJob } from './placement.js';
import { clinicalProvisioningJob } from './provisioning.js';

export const definition = defineWorker({
  service: 'clinical-ops',
  dbSchema: 'clinical_ops',
  jobs: [clinicalProvisioningJob, placementJob],
  consumers: [placementApproved],
  relay: true,
});

/** The queues this worker owns, for `npm run migrate`. */
export const queues = definition.queues;

/**
 * Starts the worker as the application role (DATABASE_APP_URL, or `options.databaseUrl`);
 * `close()` stops it gracefully (the launcher calls it on SIGTERM/SIGINT).
 */
export function start(config: Config, options: Omit<WorkerOptions, 'config'> = {}): Promise<RunningWorker> {
  return startWorker(definition, { ...options, config });
}
