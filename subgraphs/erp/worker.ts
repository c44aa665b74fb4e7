/**
 * Erp's worker process: relays erp's outbox to the queues of the domains that consume its
 * events, and runs erp's part of the control plane's workflows (provisioning: contract,
 * subscription, invoice schedule, partner attribution) as jobs.
 */
import type { Config } from '../../lib/config.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { erpProvisioningJob } from './provisioning.js';

export const definition = defineWorker({ service: 'erp', dbSchema: 'erp', jobs: [erpProvisioningJob], consumers: [], relay: true });

/** The queues this worker owns, for `npm run migrate`. */
export const queues = definition.queues;

/**
 * Starts the worker as the application role (DATABASE_APP_URL, or `options.databaseUrl`);
 * `close()` stops it gracefully (the launcher calls it on SIGTERM/SIGINT).
 */
export function start(config: Config, options: Omit<WorkerOptions, 'config'> = {}): Promise<RunningWorker> {
  return startWorker(definition, { ...options, config });
}
