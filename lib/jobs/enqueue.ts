/**
 * Queuing a job: signed with the tenant context it will run in, placed in its tenant's group at
 * its tier's priority, and written in the caller's transaction, so a job exists exactly when the
 * change that asked for it committed.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PgBoss } from 'pg-boss';
import type { Tx } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { TenantContext } from '../tenant-context.js';
import { inTransaction, startAppBoss } from './boss.js';
import { fairShare, tierOf, type QueueDeclaration } from './queues.js';
import { jobSigningKey, signJob } from './signing.js';

export interface EnqueueOptions {
  /** Not before this time (or this many seconds from now). */
  startAfter?: Date | number;
  /**
   * The job's id, when the caller names the work itself (e.g. `jobIdFor('claim', claimId, attempt)`):
   * queuing the same id again while that job exists queues nothing, so a handler that is run twice
   * schedules its follow-up once. A random id otherwise.
   */
  id?: string;
}

/**
 * A job id named by the work it does, as a UUID (version 8, from SHA-256 of the parts): the same
 * parts always give the same id, so the same follow-up queued twice is one job.
 */
export function jobIdFor(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Sends signed jobs through a started pg-boss. */
export class JobProducer {
  constructor(
    private readonly boss: PgBoss,
    private readonly key: Buffer,
  ) {}

  /**
   * A producer with a pg-boss of its own, for a service that queues jobs but runs none (a
   * subgraph): connected as the application role, it does no maintenance (workers do).
   */
  static async open(options: { url: string; bindingKey: string; logger: Logger; poolSize?: number }): Promise<JobProducer & { close(): Promise<void> }> {
    const boss = await startAppBoss(options.url, { logger: options.logger, poolSize: options.poolSize ?? 2, tuning: { supervise: false } });
    const producer = new JobProducer(boss, jobSigningKey(options.bindingKey));
    return Object.assign(producer, { close: () => boss.stop({ graceful: false }) });
  }

  /**
   * Queues `data` for `queue`, to run in `context` (its tenant, principal, roles: what the
   * handler's transaction is bound to), inside `tx`: rolled back with it. Answers the job's id,
   * which is also the id its handler sees on every attempt. Data carries identifiers, never PHI:
   * queues are readable by every service.
   */
  async enqueue<T>(tx: Tx, queue: QueueDeclaration, context: TenantContext, data: T, options: EnqueueOptions = {}): Promise<string> {
    const id = options.id ?? randomUUID();
    const signed = signJob(this.key, { id, route: `queue:${queue.name}`, context, data });
    await this.boss.send(queue.name, signed, {
      id,
      db: inTransaction(tx),
      ...fairShare(context.access === 'tenant' ? context.tenantId : null, tierOf(context)),
      ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
    });
    return id;
  }
}
