/**
 * Clinical-ops' worker process (workload plane). It relays clinical-ops' outboxes — the shared
 * database's and every isolated tenant's own — to the queues of the domains that consume them,
 * runs clinical-ops' provisioning step, moves tenants between placements (placement.ts), and
 * exports an offboarding tenant's clinical data and purges it once its retention has passed
 * (lib/workflows/offboarding.ts), and applies the four-eyes decisions on tenants' protected
 * integration mappings (integrations/mapping-changes.ts); the asynchronous workflows
 * (eligibility, claims, reminders, documents) join it here as job queues, reaching external
 * systems through the process's integration gateway (integrations/gateway.ts), whose outcome
 * counts are published before the worker stops.
 */
import type { Config } from '../../lib/config.js';
import { eventsQueueOf } from '../../lib/events/consumer.js';
import { defineWorker, startWorker, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { offboardingWorkerParts } from '../../lib/workflows/offboarding.js';
import { closeIntegrationGateways, configureIntegrations } from './integrations/gateway.js';
import { mappingDecisionConsumers, mappingDecisionJob } from './integrations/mapping-changes.js';
import { placementApproved, placementJob } from './placement.js';
import { clinicalProvisioningJob } from './provisioning.js';
import { claimJobs } from './workflows/claims.js';
import { documentJobs } from './workflows/documents.js';
import { eligibilityJobs } from './workflows/eligibility.js';
import { workloadMetricsJob } from './workflows/metrics.js';
import { reminderScheduleJob } from './workflows/reminder-schedule.js';
import { reminderJobs } from './workflows/reminders.js';
import { dispatchConsumer } from './workflows/runner.js';

/** Events from other domains: the tenant lifecycle's. */
export const eventsQueue = eventsQueueOf('clinical-ops');

const offboarding = offboardingWorkerParts({ domain: 'clinical-ops', events: eventsQueue });
const placement = { jobs: [placementJob], consumers: [placementApproved(eventsQueue)] };
const integrations = { jobs: [mappingDecisionJob], consumers: mappingDecisionConsumers(eventsQueue) };

export const definition = defineWorker({
  service: 'clinical-ops',
  dbSchema: 'clinical_ops',
  jobs: [clinicalProvisioningJob, ...placement.jobs, ...offboarding.jobs, ...integrations.jobs, workloadMetricsJob, ...eligibilityJobs, ...claimJobs, ...reminderJobs, reminderScheduleJob, ...documentJobs],
  consumers: [...placement.consumers, ...offboarding.consumers, ...integrations.consumers, dispatchConsumer(eventsQueue)],
  relay: true,
});

/** The queues this worker owns, for `npm run migrate`. */
export const queues = definition.queues;

/**
 * Starts the worker as the application role (DATABASE_APP_URL, or `options.databaseUrl`);
 * `close()` stops it gracefully (the launcher calls it on SIGTERM/SIGINT).
 */
export async function start(config: Config, options: Omit<WorkerOptions, 'config'> = {}): Promise<RunningWorker> {
  // The workflows reach the external systems through the integration gateway (docs/integrations.md).
  configureIntegrations(config);
  const worker = await startWorker(definition, { ...options, config });
  return {
    ...worker,
    // The integration outcomes counted so far go out while the pools are still open; attempts
    // still finishing meanwhile are recorded as runs, only their counts are not.
    close: async () => {
      await closeIntegrationGateways();
      await worker.close();
    },
  };
}
