/**
 * Observability's step of a tenant's provisioning (lib/workflows/provisioning.ts): the objectives
 * of the tenant's SLO class (availability, p95 latency, job wait; `slo_class_objectives`, policy
 * data) registered for the tenant. Run twice, it changes nothing; a tenant registered under
 * another class already fails the step for good (a class changes through governance, not by
 * provisioning again).
 */
import type { Tx } from '../../lib/db/index.js';
import { provisioningStepJob, StepFailedError, type StepJob } from '../../lib/workflows/provisioning.js';

async function registerSlos(tx: Tx, data: StepJob): Promise<void> {
  const registered = await tx.query<{ objective: string }>(
    `INSERT INTO slo_registrations (tenant_id, objective, slo_class, target, window_days)
     SELECT $1, objective, slo_class, target, window_days FROM slo_class_objectives WHERE slo_class = $2
     ON CONFLICT (tenant_id, objective) DO NOTHING RETURNING objective`,
    [data.tenantId, data.sloClass],
  );
  if (registered.length > 0) return;
  const [other] = await tx.query<{ slo_class: string }>('SELECT slo_class FROM slo_registrations WHERE tenant_id = $1 AND slo_class <> $2 LIMIT 1', [data.tenantId, data.sloClass]);
  if (other) throw new StepFailedError(`The tenant's objectives are registered under class ${other.slo_class} already, not ${data.sloClass}`);
}

/** Observability's provisioning queue and its step. */
export const observabilityProvisioningJob = provisioningStepJob('observability', {
  slo_registration: (job, tx) => registerSlos(tx, job.data),
});
