/**
 * Observability's worker process: relays observability's outbox and runs its part of the control
 * plane's workflows (provisioning: the tenant's SLOs by tier; offboarding: the tenant's archive,
 * and its purge once its retention has passed) as jobs, keeps its copy of tenants' escalation
 * policies (escalation.ts), and adds clinical-ops' integration outcome counts into its roll-up
 * (integration-health.ts).
 */
import type { Config } from '../../lib/config.js';
import { eventsQueueOf } from '../../lib/events/consumer.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { offboardingWorkerParts } from '../../lib/workflows/offboarding.js';
import { escalationPolicyCopy } from './escalation.js';
import { integrationOutcomesRollup } from './integration-health.js';
import { workloadSamplesConsumer } from './workload-health.js';
import { observabilityProvisioningJob } from './slo-registration.js';

/** Events from other domains: the tenant lifecycle's, and the control plane's escalation policy. */
export const eventsQueue = eventsQueueOf('observability');

const offboarding = offboardingWorkerParts({ domain: 'observability', events: eventsQueue });

export const definition = defineWorker({
  service: 'observability',
  dbSchema: 'observability',
  jobs: [observabilityProvisioningJob, ...offboarding.jobs],
  consumers: [...offboarding.consumers, escalationPolicyCopy(eventsQueue), integrationOutcomesRollup(eventsQueue), workloadSamplesConsumer(eventsQueue)],
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
