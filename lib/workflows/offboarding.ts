/**
 * The offboarding workflow's shared half: what every domain's worker runs for it (archive.ts has
 * the data work). Tenancy orchestrates (subgraphs/tenancy/offboarding.ts), as it does provisioning:
 *
 *   offboardTenant ─► tenancy.tenant.status-changed (to offboarding)
 *        each domain: an export job ─► <domain>.export.completed ─► tenancy records it;
 *        all four: OFFBOARDING → OFFBOARDED (offboarded_at)
 *   retention passed (sweep, or purgeTenantNow) ─► tenancy.tenant.purge-requested
 *        each domain: a purge job ─► <domain>.purge.completed ─► tenancy records it;
 *        all four: purged_at, and `tenant.purged` with the counts in the audit chain
 *
 * Each domain's consumer only queues a job on its `<domain>.offboarding` queue, in the consumer's
 * transaction (bound to the tenant); the job does the work in one transaction with the event that
 * reports it, so a worker killed mid-way leaves neither and the job runs again. A job run twice
 * finds the archive written (or the rows purged) and reports nothing more.
 */
import { z } from 'zod';
import type { Tx } from '../db/database.js';
import { PlacementRoutedDatabase } from '../db/tenant-databases.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { DATA_DOMAINS, type DataDomain } from '../events/catalog.js';
import { defineConsumer, type EventConsumer } from '../events/consumer.js';
import { publishEvent } from '../events/outbox.js';
import { FinalJobError } from '../jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../jobs/queues.js';
import type { JobDefinition, JobRun } from '../jobs/worker.js';
import { isUuid } from '../ids.js';
import type { InternalRoute } from '../subgraph/definition.js';
import { exportTenant, purgeTenant, readArchive } from './archive.js';

export { DATA_DOMAINS, type DataDomain };

/** What an offboarding job is given: the tenant (the job's own) and which half to do. */
export const offboardingJobSchema = z.object({ tenantId: z.uuid(), action: z.enum(['export', 'purge']) }).strict();
export type OffboardingJob = z.infer<typeof offboardingJobSchema>;

/** A domain's queue of offboarding jobs. An export reads all of a tenant's rows: a generous expiry. */
export function offboardingQueue(domain: DataDomain): QueueDeclaration {
  return defineQueue({ name: `${domain}.offboarding`, retryLimit: 5, retryDelaySeconds: 2, retryDelayMaxSeconds: 120, expireInSeconds: 300 });
}

const EXPORTED = {
  tenancy: 'tenancy.export.completed',
  erp: 'erp.export.completed',
  'clinical-ops': 'clinical-ops.export.completed',
  observability: 'observability.export.completed',
} as const satisfies Record<DataDomain, string>;

const PURGED = {
  tenancy: 'tenancy.purge.completed',
  erp: 'erp.purge.completed',
  'clinical-ops': 'clinical-ops.purge.completed',
  observability: 'observability.purge.completed',
} as const satisfies Record<DataDomain, string>;

export type ExportCompletedType = (typeof EXPORTED)[DataDomain];
export type PurgeCompletedType = (typeof PURGED)[DataDomain];
export const EXPORT_COMPLETED_TYPES = Object.values(EXPORTED);
export const PURGE_COMPLETED_TYPES = Object.values(PURGED);

/** The domain an offboarding event reports for: its producer, the first part of its type. */
export const reporterOf = (type: string): string => type.slice(0, type.indexOf('.'));

export interface DomainOffboarding {
  domain: DataDomain;
  /** The queue the domain's worker takes events on (its consumers' queue). */
  events: QueueDeclaration;
  /** Tenant tables the archive leaves out (besides the internals): the platform's own bookkeeping. */
  notExported?: readonly string[];
  /** Tenant tables the purge keeps (besides the internals): the record the platform keeps of a tenant. */
  kept?: readonly string[];
}

/** A domain's offboarding job: export or purge the job's tenant, reported in the same transaction. */
export function offboardingJob({ domain, notExported = [], kept = [] }: DomainOffboarding): JobDefinition {
  const queue = offboardingQueue(domain);
  return {
    queue,
    async handle(job: JobRun<unknown>, tx) {
      const parsed = offboardingJobSchema.safeParse(job.data);
      if (!parsed.success) throw new FinalJobError(`Offboarding job does not match its schema: ${parsed.error.issues[0]?.message}`);
      const { tenantId, action } = parsed.data;
      if (job.context.access !== 'tenant' || job.context.tenantId !== tenantId) throw new FinalJobError('An offboarding job acts on the tenant it was queued for');
      // An isolated tenant's rows are in its own database (lib/db/tenant-databases.ts): the work is
      // done there, in a transaction of its own, and reported here. A retry after a crash between
      // the two finds the work done and reports it again; tenancy records a domain's report once.
      const isolated = job.db instanceof PlacementRoutedDatabase && (await job.db.routeOf(tenantId)).placement === 'isolated';
      const inTenantData = <T>(work: (data: Tx) => Promise<T>): Promise<T> => (isolated ? job.db.withTenant(job.context, work) : work(tx));
      if (action === 'export') {
        const archive = await inTenantData((data) => exportTenant(data, tenantId, notExported));
        if (!archive.created && !isolated) return;
        await publishEvent(tx, EXPORTED[domain], job.context, { domain, tables: archive.tables, bytes: archive.bytes, sha256: archive.sha256 });
        return;
      }
      const purge = await inTenantData((data) => purgeTenant(data, tenantId, kept));
      if (purge.outcome === 'not-exported') throw new FinalJobError(`${domain} holds no archive of the tenant: it was never exported, so it is not purged`);
      if (purge.outcome === 'purged') await publishEvent(tx, PURGED[domain], job.context, { domain, tables: purge.tables });
    },
  };
}

/**
 * A domain's consumers: the move to OFFBOARDING queues its export, a purge request its purge, each
 * in the consumer's transaction (the job exists only if the consumer's record of the event does).
 */
export function offboardingConsumers({ domain, events }: Pick<DomainOffboarding, 'domain' | 'events'>): EventConsumer[] {
  const queue = offboardingQueue(domain);
  return [
    defineConsumer({
      name: 'offboarding-export',
      queue: events,
      type: 'tenancy.tenant.status-changed',
      async handle(event, _tx, tools) {
        if (event.payload.to === 'offboarding') await tools.enqueue(queue, { tenantId: event.tenantId, action: 'export' });
      },
    }),
    defineConsumer({
      name: 'offboarding-purge',
      queue: events,
      type: 'tenancy.tenant.purge-requested',
      async handle(event, _tx, tools) {
        await tools.enqueue(queue, { tenantId: event.tenantId, action: 'purge' });
      },
    }),
  ];
}

/** A domain worker's part of offboarding: its job and its consumers. */
export function offboardingWorkerParts(options: DomainOffboarding): { jobs: JobDefinition[]; consumers: EventConsumer[] } {
  return { jobs: [offboardingJob(options)], consumers: offboardingConsumers(options) };
}

/** The internal route every domain serves its archives on; the gateway's download calls it. */
export const ARCHIVE_ROUTE = 'export-archive';

/**
 * `GET /internal/export-archive?tenantId=…` → the tenant's NDJSON archive (bytes), NOT_FOUND when
 * there is none (not exported yet, or purged). Read through the domain's own Database bound to the
 * tenant, like every read of its data: where the domain keeps a tenant's rows apart (a database of
 * its own), the archive is read from there.
 */
export const archiveRoute: InternalRoute = async (params, db, caller) => {
  const given = params.get('tenantId');
  if (!isUuid(given)) throw new BadUserInputError('tenantId must be a UUID');
  const tenantId = given.toLowerCase();
  const found = await db.withTenant({ access: 'tenant', tenantId, principal: caller.principal }, (tx) => readArchive(tx, tenantId));
  if (!found) throw new NotFoundError('No export archive of this tenant: not exported yet, or purged');
  return found.archive;
};
