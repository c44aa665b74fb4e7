/**
 * The offboarding workflow's orchestrator, in tenancy's worker (lib/workflows/offboarding.ts has
 * the protocol every domain follows, lib/workflows/archive.ts the data work):
 *
 * - **Exports.** Each `<domain>.export.completed` is recorded in `offboarding_domains` (counts,
 *   size, hash) and audited as `export.completed`; the report that completes the fourth domain
 *   moves the tenant OFFBOARDING → OFFBOARDED (`completeOffboarding`, audited and published),
 *   which stamps `offboarded_at`.
 * - **Retention.** A periodic sweep (`tenancy.retention-sweep`, hourly) finds OFFBOARDED tenants
 *   whose `offboarded_at + retention_days` has passed and hands each to a `tenancy.purge-due` job
 *   bound to it, which requests the purge: `purge_requested_at`, the audit entry
 *   `tenant.purge-requested` and the event `tenancy.tenant.purge-requested`, in one transaction.
 *   `purgeTenantNow` makes the same request at once, for a tenant already past its retention.
 * - **Purges.** Each `<domain>.purge.completed` is recorded with its counts; the fourth sets
 *   `purged_at` and appends `tenant.purged` to the tenant's audit chain with every domain's counts
 *   per table (counts only, never content).
 *
 * Every report locks the tenant's row first, so reports of several domains arriving together take
 * turns and exactly one of them sees the fourth; a report delivered twice finds itself recorded
 * and changes nothing.
 */
import type { Tx } from '../../lib/db/index.js';
import { DATA_DOMAINS, type EventEnvelope } from '../../lib/events/catalog.js';
import { consumerContext, defineConsumer, type ConsumerTools, type EventConsumer } from '../../lib/events/consumer.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { FinalJobError } from '../../lib/jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import {
  EXPORT_COMPLETED_TYPES,
  offboardingWorkerParts,
  PURGE_COMPLETED_TYPES,
  reporterOf,
  type ExportCompletedType,
  type PurgeCompletedType,
} from '../../lib/workflows/offboarding.js';
import { appendAudit } from './audit.js';
import { applyMove } from './lifecycle.js';

/** Tenancy's bookkeeping of offboarding itself: not part of the tenant's archive. */
export const TENANCY_NOT_EXPORTED = Object.freeze(['offboarding_domains']);
/** What the platform keeps of a purged tenant: its row and its audit record (migration 013 refuses them too). */
export const TENANCY_KEPT = Object.freeze(['tenants', 'audit_log', 'audit_chains', 'security_events', 'offboarding_domains']);

/** How often the retention sweep looks for tenants due for their purge. */
export const SWEEP_EVERY_SECONDS = 3600;
/** Tenants one sweep hands on at most; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

export const retentionSweepQueue = defineQueue({ name: 'tenancy.retention-sweep', retryLimit: 3, retryDelaySeconds: 30, retryDelayMaxSeconds: 600, expireInSeconds: 120 });
export const purgeDueQueue = defineQueue({ name: 'tenancy.purge-due', retryLimit: 5, retryDelaySeconds: 2, retryDelayMaxSeconds: 120, expireInSeconds: 60 });

interface LockedTenant {
  status: string;
  tier: string;
  partner_id: string | null;
  purged_at: Date | null;
}

async function lockTenant(tx: Tx, tenantId: string): Promise<LockedTenant | undefined> {
  const [tenant] = await tx.query<LockedTenant>('SELECT status, tier, partner_id, purged_at FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
  return tenant;
}

const rowsIn = (tables: Record<string, number>) => Object.values(tables).reduce((sum, n) => sum + n, 0);

function checkReporter(event: EventEnvelope<ExportCompletedType | PurgeCompletedType>): void {
  const reporter = reporterOf(event.type);
  if (reporter !== event.payload.domain) throw new FinalJobError(`${reporter} reported for ${event.payload.domain}`);
}

/** A domain exported the tenant: record it; the fourth domain's report completes the offboarding. */
async function exportReported(event: EventEnvelope<ExportCompletedType>, tx: Tx, tools: ConsumerTools): Promise<void> {
  checkReporter(event);
  const { domain, tables, bytes, sha256 } = event.payload;
  const tenant = await lockTenant(tx, event.tenantId);
  if (!tenant) return;
  const rowCount = rowsIn(tables);
  const recorded = await tx.query(
    `INSERT INTO offboarding_domains (tenant_id, domain, tables, row_count, bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, domain) DO NOTHING RETURNING domain`,
    [event.tenantId, domain, JSON.stringify(tables), rowCount, bytes, sha256],
  );
  if (recorded.length === 0) return;
  const auditKey = tools.deriveKey('audit');
  const context = consumerContext('tenancy', event);
  await appendAudit(tx, auditKey, context, {
    owner: { tenantId: event.tenantId, partnerId: tenant.partner_id },
    action: 'export.completed',
    target: `export:${event.tenantId}:${domain}`,
    detail: { domain, rowCount, bytes, sha256 },
  });
  if (tenant.status !== 'offboarding') return;
  const [{ n } = { n: 0 }] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM offboarding_domains WHERE tenant_id = $1', [event.tenantId]);
  if (n === DATA_DOMAINS.length) await applyMove(tx, auditKey, context, 'completeOffboarding', 'data_exported');
}

/** A domain purged the tenant: record its counts; the fourth domain's report marks the tenant purged, audited with every count. */
async function purgeReported(event: EventEnvelope<PurgeCompletedType>, tx: Tx, tools: ConsumerTools): Promise<void> {
  checkReporter(event);
  const { domain, tables } = event.payload;
  const tenant = await lockTenant(tx, event.tenantId);
  if (!tenant) return;
  const recorded = await tx.query(
    `UPDATE offboarding_domains SET purged_tables = $3, purged_at = now() WHERE tenant_id = $1 AND domain = $2 AND purged_at IS NULL RETURNING domain`,
    [event.tenantId, domain, JSON.stringify(tables)],
  );
  if (recorded.length === 0 || tenant.purged_at) return;
  const purged = await tx.query<{ domain: string; purged_tables: Record<string, number> }>(
    'SELECT domain, purged_tables FROM offboarding_domains WHERE tenant_id = $1 AND purged_at IS NOT NULL ORDER BY domain',
    [event.tenantId],
  );
  if (purged.length < DATA_DOMAINS.length) return;
  await tx.query('UPDATE tenants SET purged_at = now() WHERE id = $1', [event.tenantId]);
  const counts = Object.fromEntries(purged.map((row) => [row.domain, row.purged_tables]));
  await appendAudit(tx, tools.deriveKey('audit'), consumerContext('tenancy', event), {
    owner: { tenantId: event.tenantId, partnerId: tenant.partner_id },
    action: 'tenant.purged',
    target: `tenant:${event.tenantId}`,
    detail: { rowCount: purged.reduce((sum, row) => sum + rowsIn(row.purged_tables), 0), tables: counts },
  });
}

/** Who asked for a purge: the retention sweep, or a platform admin (purgeTenantNow). */
export type PurgeRequester = 'retention_sweep' | 'operator';

/**
 * Requests the purge of the transaction's tenant (bound to it: `acting`): an OFFBOARDED tenant
 * whose retention has passed, not requested before. Answers false for one requested already
 * (nothing changes); INVALID_TRANSITION for a tenant not OFFBOARDED or still within its retention.
 */
export async function requestPurge(tx: Tx, auditKey: Buffer, acting: TenantContext, by: PurgeRequester): Promise<boolean> {
  const tenantId = acting.tenantId!;
  const [tenant] = await tx.query<{
    status: string;
    tier: string;
    partner_id: string | null;
    retention_days: number;
    offboarded_at: Date | null;
    purge_after: Date | null;
    due: boolean | null;
    purge_requested_at: Date | null;
  }>(
    `SELECT status, tier, partner_id, retention_days, offboarded_at, purge_requested_at,
            offboarded_at + make_interval(days => retention_days) AS purge_after,
            offboarded_at + make_interval(days => retention_days) <= now() AS due
       FROM tenants WHERE id = $1 FOR UPDATE`,
    [tenantId],
  );
  if (!tenant) throw new NotFoundError('No such tenant');
  if (tenant.purge_requested_at) return false;
  if (tenant.status !== 'offboarded' || !tenant.offboarded_at) {
    throw new InvalidTransitionError(`A ${tenant.status} tenant is not purged: its data is purged once it is OFFBOARDED and its retention has passed`, {
      from: tenant.status.toUpperCase(),
      to: 'PURGED',
    });
  }
  if (!tenant.due) {
    throw new InvalidTransitionError(`The tenant's data is kept until ${tenant.purge_after!.toISOString()} (${tenant.retention_days} days after it was offboarded)`, {
      from: 'OFFBOARDED',
      to: 'PURGED',
      purgeAfter: tenant.purge_after!.toISOString(),
    });
  }
  await tx.query('UPDATE tenants SET purge_requested_at = now() WHERE id = $1', [tenantId]);
  const offboardedAt = tenant.offboarded_at.toISOString();
  await appendAudit(tx, auditKey, acting, {
    owner: { tenantId, partnerId: tenant.partner_id },
    action: 'tenant.purge-requested',
    target: `tenant:${tenantId}`,
    detail: { by, retentionDays: tenant.retention_days, offboardedAt },
  });
  await publishEvent(tx, 'tenancy.tenant.purge-requested', { ...acting, tier: tenant.tier }, { offboardedAt, retentionDays: tenant.retention_days });
  return true;
}

/** OFFBOARDED tenants past their retention whose purge nobody has requested yet, oldest first (platform level). */
export async function tenantsDueForPurge(tx: Tx, limit = SWEEP_BATCH): Promise<Array<{ id: string; tier: string }>> {
  return tx.query<{ id: string; tier: string }>(
    `SELECT id, tier FROM tenants
      WHERE status = 'offboarded' AND purge_requested_at IS NULL AND offboarded_at + make_interval(days => retention_days) <= now()
      ORDER BY offboarded_at LIMIT $1`,
    [limit],
  );
}

/** The sweep, at platform level: each tenant due becomes a job bound to it. */
const retentionSweepJob: JobDefinition = {
  queue: retentionSweepQueue,
  every: { seconds: SWEEP_EVERY_SECONDS, data: { sweep: 'retention' } },
  async handle(job: JobRun<unknown>, tx) {
    for (const tenant of await tenantsDueForPurge(tx)) {
      await job.enqueue(purgeDueQueue, { tenantId: tenant.id }, { forTenant: { id: tenant.id, tier: tenant.tier } });
    }
  },
};

/** One tenant the sweep found due: its purge requested, unless it was meanwhile (or is no longer due: its retention was raised). */
const purgeDueJob: JobDefinition = {
  queue: purgeDueQueue,
  async handle(job: JobRun<{ tenantId: string }>, tx) {
    if (job.context.access !== 'tenant' || job.context.tenantId !== job.data.tenantId) throw new FinalJobError('A purge job acts on the tenant it was queued for');
    try {
      await requestPurge(tx, job.deriveKey('audit'), job.context, 'retention_sweep');
    } catch (error) {
      if (!(error instanceof InvalidTransitionError)) throw error;
    }
  },
};

/** Tenancy's part of offboarding, for its worker: its own export and purge, the orchestration, the sweep. */
export function offboardingParts(events: QueueDeclaration): { jobs: JobDefinition[]; consumers: EventConsumer[] } {
  const own = offboardingWorkerParts({ domain: 'tenancy', events, notExported: TENANCY_NOT_EXPORTED, kept: TENANCY_KEPT });
  const exports = EXPORT_COMPLETED_TYPES.map((type) => defineConsumer({ name: `offboarding-${reporterOf(type)}-exported`, queue: events, type, handle: exportReported }));
  const purges = PURGE_COMPLETED_TYPES.map((type) => defineConsumer({ name: `offboarding-${reporterOf(type)}-purged`, queue: events, type, handle: purgeReported }));
  return { jobs: [...own.jobs, retentionSweepJob, purgeDueJob], consumers: [...own.consumers, ...exports, ...purges] };
}
