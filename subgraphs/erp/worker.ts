/**
 * Erp's worker process: relays erp's outbox to the queues of the domains that consume its
 * events, and runs erp's part of the control plane's workflows (provisioning: contract,
 * subscription, invoice schedule, partner attribution; offboarding: the tenant's archive, and its
 * purge once its retention has passed) as jobs; counts clinical-ops' usage events; and runs the
 * billing: an hourly sweep hands each tenant with something due a billing job (invoices.ts);
 * moves purchase orders on the control plane's four-eyes decisions (procurement.ts); and
 * records implementation milestones from the control plane's events (milestones.ts).
 */
import type { Config } from '../../lib/config.js';
import { eventsQueueOf } from '../../lib/events/consumer.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { offboardingWorkerParts } from '../../lib/workflows/offboarding.js';
import { billingRunJob, billingSweepJob } from './invoices.js';
import { milestoneConsumers } from './milestones.js';
import { procurementConsumers } from './procurement.js';
import { erpProvisioningJob } from './provisioning.js';
import { usageConsumer } from './usage.js';

/** Events from other domains: the tenant lifecycle's, members joining, clinical-ops' usage. */
export const eventsQueue = eventsQueueOf('erp');

const offboarding = offboardingWorkerParts({ domain: 'erp', events: eventsQueue });

export const definition = defineWorker({
  service: 'erp',
  dbSchema: 'erp',
  jobs: [erpProvisioningJob, billingSweepJob, billingRunJob, ...offboarding.jobs],
  consumers: [...offboarding.consumers, usageConsumer(eventsQueue), ...procurementConsumers(eventsQueue), ...milestoneConsumers(eventsQueue)],
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
