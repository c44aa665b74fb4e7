/**
 * Clinical-ops' half of a placement change. Tenancy's four-eyes governance applies the change to
 * `tenancy.tenants.placement`; the approval's event reaches this consumer, which queues a job; the
 * job waits until the change is applied (tenancy's worker does it within seconds) and then moves
 * the tenant's clinical rows between the shared pool and the tenant's own database
 * (lib/db/tenant-databases.ts: verified by row counts, the tenant's requests refused only for the
 * moment it takes). Its `clinical-ops.placement.changed` event, with the rows moved per table,
 * puts the move in the tenant's audit chain. Run twice, the job moves nothing the second time.
 */
import { z } from 'zod';
import { defineConsumer } from '../../lib/events/consumer.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { FinalJobError } from '../../lib/jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import { PlacementRoutedDatabase, type Placement } from '../../lib/db/tenant-databases.js';
import type { Tx } from '../../lib/db/index.js';

/** Moves are rare and slow-ish (seconds): few at a time, one per tenant, patient retries while the change is applied. */
export const placementQueue = defineQueue({ name: 'clinical-ops.placement', retryLimit: 20, retryDelaySeconds: 2, retryDelayMaxSeconds: 30, expireInSeconds: 300 });

const jobSchema = z.object({ changeRequestId: z.uuid() }).strict();

/** An approved placement change becomes a move job, in the consumer's transaction (on clinical-ops' events queue). */
export const placementApproved = (queue: QueueDeclaration) => defineConsumer({
  name: 'placement-approved',
  queue,
  type: 'tenancy.change-request.approved',
  async handle(event, _tx, tools) {
    if (event.payload.setting !== 'placement') return;
    await tools.enqueue(placementQueue, { changeRequestId: event.payload.changeRequestId });
  },
});

/** A change that is not applied yet: retried after the queue's backoff. */
class NotAppliedYetError extends Error {
  constructor() {
    super('the placement change is approved but not applied yet');
    this.name = 'NotAppliedYetError';
  }
}

async function readChange(tx: Tx, changeRequestId: string, tenantId: string) {
  const [change] = await tx.query<{ status: string; value: unknown }>(
    'SELECT status, value FROM tenancy.change_requests WHERE id = $1 AND tenant_id = $2',
    [changeRequestId, tenantId],
  );
  const [tenant] = await tx.query<{ placement: Placement; region: string }>('SELECT placement, region FROM tenancy.tenants WHERE id = $1', [tenantId]);
  return { change, tenant };
}

export const placementJob: JobDefinition = {
  queue: placementQueue,
  async handle(job: JobRun<unknown>, tx) {
    const parsed = jobSchema.safeParse(job.data);
    if (!parsed.success) throw new FinalJobError('placement job does not match its schema');
    const tenantId = job.context.tenantId;
    if (job.context.access !== 'tenant' || !tenantId) throw new FinalJobError('a placement job acts on one tenant');
    if (!(job.db instanceof PlacementRoutedDatabase)) throw new FinalJobError('clinical-ops has no placement-routed pool');
    const { change, tenant } = await readChange(tx, parsed.data.changeRequestId, tenantId);
    if (!change || !tenant) throw new FinalJobError('no such change request for this tenant');
    if (change.status === 'approved' || change.status === 'waiting') throw new NotAppliedYetError();
    // Rejected, expired or failed: nothing to move. Applied: the tenant's placement now is the truth
    // (a later change may have superseded this one; moving to the current value covers both).
    if (change.status !== 'applied') return;
    const before = await job.db.routeOf(tenantId);
    const result = await job.db.changePlacement(tenantId, tenant.placement, tenant.region);
    if (!result.moved) return;
    await publishEvent(tx, 'clinical-ops.placement.changed', job.context, {
      changeRequestId: parsed.data.changeRequestId,
      from: before.placement,
      to: tenant.placement,
      region: tenant.region,
      database: result.databaseName,
      rows: result.rows,
    });
  },
};
