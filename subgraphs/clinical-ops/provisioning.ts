/**
 * Clinical-ops' step of a tenant's provisioning (lib/workflows/provisioning.ts): the tenant's
 * clinical workspace, with the workflows its segment template switches on. An ISOLATED tenant's
 * workspace is a database of its own, created and migrated on the spot in the tenant's region
 * (lib/db/tenant-databases.ts), and its workflows are written there. Run twice, it changes nothing.
 */
import type { Tx } from '../../lib/db/index.js';
import { PlacementRoutedDatabase } from '../../lib/db/tenant-databases.js';
import { FinalJobError } from '../../lib/jobs/errors.js';
import type { JobRun } from '../../lib/jobs/worker.js';
import { provisioningStepJob, type StepJob } from '../../lib/workflows/provisioning.js';

const insertWorkflows = (tx: Tx, data: StepJob) =>
  tx.query(
    `INSERT INTO workspace_workflows (tenant_id, workflow) SELECT $1, unnest($2::text[]) ON CONFLICT (tenant_id, workflow) DO NOTHING`,
    [data.tenantId, data.workflows],
  );

async function createWorkspace(job: JobRun<StepJob>, tx: Tx): Promise<void> {
  const { data } = job;
  if (data.placement !== 'isolated') {
    await insertWorkflows(tx, data);
    return;
  }
  if (!(job.db instanceof PlacementRoutedDatabase)) throw new FinalJobError('clinical-ops has no placement-routed pool');
  // The database first (idempotent), then the route to it, then the workflows in it, each
  // committed on its own: a retry after a crash finds what is done and does the rest.
  await job.db.changePlacement(data.tenantId, 'isolated', data.region);
  await job.db.withTenant(job.context, (own) => insertWorkflows(own, data));
}

/** Clinical-ops' provisioning queue and its step. */
export const clinicalProvisioningJob = provisioningStepJob('clinical-ops', {
  clinical_workspace: (job, tx) => createWorkspace(job, tx),
});
