/**
 * Observability's worker process: relays observability's outbox and runs its part of the control
 * plane's workflows (provisioning: the tenant's SLOs by tier) as jobs.
 */
import type { Config } from '../../lib/config.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { observabilityProvisioningJob } from './slo-registration.js';

export const definition = defineWorker({ service: 'observability', dbSchema: 'observability', jobs: [observabilityProvisioningJob], consumers: [], relay: true });

/** The queues this worker owns, for `npm run migrate`. */
export const queues = definition.queues;

/**
 * Starts the worker as the application role (DATABASE_APP_URL, or `options.databaseUrl`);
 * `close()` stops it gracefully (the launcher calls it on SIGTERM/SIGINT).
 */
export function start(config: Config, options: Omit<WorkerOptions, 'config'> = {}): Promise<RunningWorker> {
  return startWorker(definition, { ...options, config });
}
