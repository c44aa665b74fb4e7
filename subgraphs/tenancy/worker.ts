/**
 * Tenancy's worker process: consumes other domains' events into the control plane and relays
 * tenancy's own outbox. Today it takes clinical-ops' break-glass declarations into the security
 * events platform admins review, one row per declaration however often the event is delivered,
 * applies approved changes to tenants' protected settings (governance.ts), orchestrates
 * tenants' provisioning (provisioning-workflow.ts) and offboarding (offboarding.ts: each domain's
 * export, OFFBOARDED, the retention sweep and the purge), exports and purges its own part, and
 * publishes tenants' escalation policies for observability (escalation.ts), and acts on erp's
 * billing: subscription changes audited, suspension for non-payment and the resume (billing-events.ts);
 * and audits erp's purchase orders, opening the four-eyes request of one above its threshold (procurement-events.ts);
 * and audits clinical-ops' integration mapping changes, opening the four-eyes request of a protected one (integration-mapping-events.ts).
 */
import type { Config } from '../../lib/config.js';
import { defineConsumer, eventsQueueOf } from '../../lib/events/consumer.js';
import { defineQueue } from '../../lib/jobs/queues.js';
import { defineWorker, startWorker, type JobDefinition, type JobRun, type WorkerOptions } from '../../lib/jobs/worker.js';
import type { RunningWorker } from '../../lib/services.js';
import { appendAudit } from './audit.js';
import { billingConsumers } from './billing-events.js';
import { workloadConsumers } from './workload-events.js';
import { escalationSyncJob } from './escalation.js';
import { applyChange } from './governance.js';
import { integrationMappingConsumers, openIntegrationMappingRequestJob } from './integration-mapping-events.js';
import { offboardingParts } from './offboarding.js';
import { openPurchaseOrderRequestJob, procurementConsumers, withdrawPurchaseOrderRequestJob } from './procurement-events.js';
import { provisioningConsumers, provisioningJobs } from './provisioning-workflow.js';
import { insertSecurityEvent } from './security-events.js';

/** Events from other domains (and tenancy's own, for the workflows it orchestrates). */
export const eventsQueue = eventsQueueOf('tenancy');

/**
 * A break-glass declaration becomes a `break_glass_declared` security event whose id is the
 * event's, with identifiers and counts only (no reason text, no patient).
 */
export const breakGlassAudit = defineConsumer({
  name: 'break-glass-audit',
  queue: eventsQueue,
  type: 'clinical-ops.break-glass.declared',
  async handle(event, tx, tools) {
    await insertSecurityEvent(tx, {
      id: event.id,
      kind: 'break_glass_declared',
      tenantId: event.tenantId,
      principalId: event.actor.principalId,
      roles: event.payload.roles,
      requestId: event.actor.requestId,
      correlationId: event.actor.correlationId,
      detail: { grantId: event.payload.grantId, patientCount: event.payload.patientCount, expiresAt: event.payload.expiresAt, principalKind: event.actor.principalKind },
    });
    // And in the tenant's audit chain, as the declarer's act: who, which grant, how many patients.
    await appendAudit(
      tx,
      tools.deriveKey('audit'),
      { principal: { id: event.actor.principalId, kind: event.actor.principalKind }, roles: event.payload.roles, requestId: event.actor.requestId },
      {
        owner: { tenantId: event.tenantId },
        action: 'break_glass.declared',
        target: `break_glass_grant:${event.payload.grantId}`,
        detail: { patientCount: event.payload.patientCount, expiresAt: event.payload.expiresAt },
      },
    );
  },
});

/**
 * A request that read PHI becomes a `phi.read` entry in the tenant's audit chain, as the
 * reader's act: how many records of which types and fields, whether under break-glass — never
 * which patient (clinical-ops' phi_access_log has the records and fields).
 */
export const phiReadAudit = defineConsumer({
  name: 'phi-read-audit',
  queue: eventsQueue,
  type: 'clinical-ops.phi.read',
  async handle(event, tx, tools) {
    const { recordCount, fieldCount, recordTypes, breakGlass, grantId, roles } = event.payload;
    await appendAudit(
      tx,
      tools.deriveKey('audit'),
      { principal: { id: event.actor.principalId, kind: event.actor.principalKind }, roles, requestId: event.actor.requestId },
      {
        owner: { tenantId: event.tenantId },
        action: 'phi.read',
        target: `request:${event.actor.requestId}`,
        detail: { recordCount, fieldCount, recordTypes, breakGlass, ...(grantId ? { grantId } : {}) },
      },
    );
  },
});

/** A finished placement move enters the tenant's audit chain, with the rows moved per table. */
export const placementAudit = defineConsumer({
  name: 'placement-audit',
  queue: eventsQueue,
  type: 'clinical-ops.placement.changed',
  async handle(event, tx, tools) {
    const { changeRequestId, from, to, region, database, rows } = event.payload;
    const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [event.tenantId]);
    await appendAudit(
      tx,
      tools.deriveKey('audit'),
      { principal: { id: event.actor.principalId, kind: event.actor.principalKind }, roles: [], requestId: event.actor.requestId },
      {
        owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
        action: 'placement.migrated',
        target: `change_request:${changeRequestId}`,
        detail: { from, to, region, database, rows },
      },
    );
  },
});

/**
 * Applies approved changes to protected settings (governance.ts), at platform level: a change
 * outside its release window goes back in the queue for the window's opening.
 */
export const applyChangeQueue = defineQueue({ name: 'tenancy.apply-change', retryLimit: 10, retryDelaySeconds: 2, retryDelayMaxSeconds: 300, expireInSeconds: 60 });

const applyChangeJob: JobDefinition = {
  queue: applyChangeQueue,
  async handle(job: JobRun<{ changeRequestId: string }>, tx) {
    const { outcome, applyAfter } = await applyChange(tx, job.deriveKey('audit'), job.context, job.data.changeRequestId);
    if (outcome === 'waiting') await job.enqueue(applyChangeQueue, job.data, { startAfter: applyAfter });
  },
};

/** An approval becomes an apply job, in the consumer's transaction: once queued, never lost. */
export const approvedChanges = defineConsumer({
  name: 'apply-approved-change',
  queue: eventsQueue,
  type: 'tenancy.change-request.approved',
  async handle(event, _tx, tools) {
    // Platform level: a protected setting (a feature override, say) is written by the platform, not the tenant.
    await tools.enqueue(applyChangeQueue, { changeRequestId: event.payload.changeRequestId }, { platform: true });
  },
});

const offboarding = offboardingParts(eventsQueue);

export const definition = defineWorker({
  service: 'tenancy',
  dbSchema: 'tenancy',
  jobs: [applyChangeJob, openPurchaseOrderRequestJob, withdrawPurchaseOrderRequestJob, openIntegrationMappingRequestJob, escalationSyncJob, ...provisioningJobs, ...offboarding.jobs],
  consumers: [breakGlassAudit, approvedChanges, phiReadAudit, placementAudit, ...provisioningConsumers(eventsQueue), ...offboarding.consumers, ...billingConsumers(eventsQueue),
    ...procurementConsumers(eventsQueue),
    ...workloadConsumers(eventsQueue),
    ...integrationMappingConsumers(eventsQueue),
  ],
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
