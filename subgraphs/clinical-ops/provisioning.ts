/**
 * Clinical-ops' step of a tenant's provisioning (lib/workflows/provisioning.ts): the tenant's
 * clinical workspace, with the workflows its segment template switches on. Run twice, it changes
 * nothing.
 */
import type { Tx } from '../../lib/db/index.js';
import { provisioningStepJob, type StepJob } from '../../lib/workflows/provisioning.js';

async function createWorkspace(tx: Tx, data: StepJob): Promise<void> {
  await tx.query(
    `INSERT INTO workspace_workflows (tenant_id, workflow) SELECT $1, unnest($2::text[]) ON CONFLICT (tenant_id, workflow) DO NOTHING`,
    [data.tenantId, data.workflows],
  );
}

/** Clinical-ops' provisioning queue and its step. */
export const clinicalProvisioningJob = provisioningStepJob('clinical-ops', {
  clinical_workspace: (job, tx) => createWorkspace(tx, job.data),
});
