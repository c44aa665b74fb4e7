/**
 * The worker runtime every service's worker process uses: connect as the application role, check
 * that the declared queues exist (`npm run migrate` creates them), work each queue, relay the
 * service's outbox, and stop gracefully.
 *
 * Stopping (`close()`, which the launcher calls on SIGTERM/SIGINT): the relay finishes its batch
 * and stops; pg-boss stops fetching and waits up to `shutdownTimeoutMs` for the jobs in hand;
 * whatever has not finished by then is released — pg-boss fails it for a retry and its
 * transaction rolls back (see runInTenant) — so nothing is lost and nothing half-done commits.
 * A worker killed outright (`kill -9`) releases nothing: its jobs run again once their queue's
 * expiry has passed, found by the next supervision pass of any worker.
 */
import { randomUUID } from 'node:crypto';
import type { Job, PgBoss } from 'pg-boss';
import type { Config } from '../config.js';
import { applicationUrl, Database, resolveBindingKey, type Tx } from '../db/index.js';
import { followsPlacement, PlacementRoutedDatabase, servicePool } from '../db/tenant-databases.js';
import type { ServiceName } from '../services.js';
import { eventProcessor, type EventConsumer } from '../events/consumer.js';
import { startRelay, type Relay } from '../events/relay.js';
import { createLogger } from '../logger.js';
import type { RunningWorker } from '../services.js';
import type { TenantContext } from '../tenant-context.js';
import { DEFAULT_TUNING, PGBOSS_SCHEMA, startAppBoss, type BossTuning } from './boss.js';
import { JobProducer, type EnqueueOptions } from './enqueue.js';
import { RefusedJobError } from './errors.js';
import { deferIfHeld, HOLD_RECHECK_SECONDS } from './holds.js';
import { groupConcurrency, type QueueDeclaration } from './queues.js';
import { runInTenant, settle, type Processor } from './runner.js';
import { jobSigningKey } from './signing.js';

/** One attempt of a job, as its handler sees it. */
export interface JobRun<T> {
  /** The job's id: the same on every attempt, the key to make effects idempotent by. */
  id: string;
  queue: string;
  data: T;
  /** The context the job was queued in; the handler's transaction is bound to it. */
  context: TenantContext;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the worker gives the attempt up; a long handler should stop early. */
  signal: AbortSignal;
  /**
   * Queues a follow-up job in this attempt's transaction and context, or — for a platform-level
   * job handing work on to one tenant (`forTenant`) — bound to that tenant instead.
   */
  enqueue<U>(queue: QueueDeclaration, data: U, options?: EnqueueOptions & { forTenant?: { id: string; tier?: string | null } }): Promise<string>;
  /** A key for one purpose, derived from the binding key as the service's requests derive it (`Database.deriveKey`). */
  deriveKey(purpose: string): Buffer;
  /**
   * The service's pool as its requests have it: for a schema that follows placement, routed to
   * the database where the job's tenant's data lives (lib/db/tenant-databases.ts). The handler's
   * `tx` is always on the shared database, with the job's bookkeeping and its events; data of an
   * isolated tenant is reached through `db.withTenant(job.context, …)`, in a transaction of its own.
   */
  db: Database;
}

/** A job handler: throw FinalJobError when retrying cannot help, anything else to retry. */
export type JobHandler<T> = (job: JobRun<T>, tx: Tx) => Promise<void>;

export interface JobDefinition {
  queue: QueueDeclaration;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler declares its own data type (a JobHandler<Claim> is no JobHandler<unknown>); the queue carries JSON.
  handle: JobHandler<any>;
  /**
   * A periodic job at platform level (a sweep): the worker queues one at start when the queue has
   * none waiting or running, and each run queues the next, `seconds` later, in its own
   * transaction — so the chain survives restarts and replicas, one link at a time. Its queue
   * carries nothing else.
   */
  every?: { seconds: number; data: Record<string, unknown> };
}

export interface WorkerDefinition {
  /** The owning service, e.g. `tenancy`. */
  readonly service: string;
  /** Its Postgres schema: the worker's transactions run there, as its requests' do. */
  readonly dbSchema: string;
  readonly jobs: readonly JobDefinition[];
  readonly consumers: readonly EventConsumer[];
  /** Relay the service's outbox (every service that publishes events). */
  readonly relay: boolean;
  /** Every queue the worker works, with its event subscriptions: what `npm run migrate` declares. */
  readonly queues: readonly QueueDeclaration[];
}

/** A worker definition, with its queues and their subscriptions derived from its jobs and consumers. */
export function defineWorker(input: Omit<WorkerDefinition, 'queues'>): WorkerDefinition {
  const queues = new Map<string, QueueDeclaration>();
  for (const { queue } of input.jobs) {
    if (queues.has(queue.name)) throw new Error(`Queue ${queue.name} has two job handlers`);
    queues.set(queue.name, queue);
  }
  const jobQueues = new Set(queues.keys());
  for (const consumer of input.consumers) {
    if (jobQueues.has(consumer.queue.name)) throw new Error(`Queue ${consumer.queue.name} carries jobs; give consumer ${consumer.name} a queue of events`);
    const known = queues.get(consumer.queue.name) ?? consumer.queue;
    queues.set(known.name, { ...known, events: [...new Set([...known.events, consumer.type])].sort() });
  }
  const names = input.consumers.map((consumer) => consumer.name);
  if (new Set(names).size !== names.length) throw new Error(`Two consumers of ${input.service} share a name`);
  return Object.freeze({ ...input, queues: [...queues.values()].map((queue) => Object.freeze(queue)) });
}

/** Timings of a worker; production uses the defaults, tests shorten them. */
export interface WorkerTuning extends BossTuning {
  pollingIntervalSeconds: number;
  relayIntervalMs: number;
  /** How long `close()` waits for the jobs in hand before releasing them; default SHUTDOWN_GRACE_MS. */
  shutdownTimeoutMs: number;
  /** How long a job of a held tenant waits before it checks again, should no release reach it (holds.ts). */
  holdRecheckSeconds: number;
  /** Overrides every periodic job's interval (`JobDefinition.every`): tests run their sweeps in seconds. */
  periodicSeconds?: number;
}

const DEFAULTS: Omit<WorkerTuning, 'shutdownTimeoutMs'> = {
  ...DEFAULT_TUNING,
  pollingIntervalSeconds: 1,
  relayIntervalMs: 500,
  holdRecheckSeconds: HOLD_RECHECK_SECONDS,
};

/** How long `close()` waits, after the shutdown timeout, for released handlers and the pool. */
const RELEASE_GRACE_MS = 2000;

export interface WorkerOptions {
  config: Config;
  /** The application role's connection string; defaults to DATABASE_APP_URL (or one derived). */
  databaseUrl?: string;
  tuning?: Partial<WorkerTuning>;
}

/** Starts the worker of `definition`; resolves once every queue is being worked. */
export async function startWorker(definition: WorkerDefinition, options: WorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const name = `${definition.service}-worker`;
  const tuning: WorkerTuning = { ...DEFAULTS, shutdownTimeoutMs: config.shutdownGraceMs, ...options.tuning };
  const logger = createLogger(name, config.logLevel);
  const url = options.databaseUrl ?? applicationUrl(config, definition.service);
  const bindingKey = resolveBindingKey(config);
  const key = jobSigningKey(bindingKey);
  const db = new Database({ url, schema: definition.dbSchema, poolSize: config.database.poolSize, bindingKey });
  // Where the service's tenant data is, for the handlers: the same pool unless the schema follows placement.
  const service = definition.service as ServiceName;
  const tenantDb = followsPlacement(service) ? servicePool(service, url, config, definition.dbSchema) : db;
  const inFlight = new Set<Promise<unknown>>();
  let boss: PgBoss | undefined;
  let relay: Relay | undefined;
  let stopping = false;
  const close = once(async () => {
    stopping = true;
    await relay?.stop();
    if (boss) {
      await boss.stop({ graceful: true, timeout: tuning.shutdownTimeoutMs });
      // A released handler rolls back when it returns; one stuck elsewhere is not waited for long.
      await within(RELEASE_GRACE_MS, Promise.allSettled(inFlight));
    }
    // pool.end() waits for connections still checked out: bounded, the process exits regardless
    // and the server rolls back whatever those connections left open.
    await within(RELEASE_GRACE_MS, Promise.all([db.close(), tenantDb === db ? undefined : tenantDb.close()]));
  });
  try {
    await db.verify();
    boss = await startAppBoss(url, { logger, poolSize: config.database.poolSize, tuning, stopping: () => stopping }).catch((error: Error) => {
      // pg-boss's own words for a schema the worker may not install or migrate itself.
      if (/not installed|requires migrations/.test(error.message)) throw new Error(`${error.message}: run npm run migrate`, { cause: error });
      throw error;
    });
    await assertDeclared(boss, definition.queues);
    const producer = new JobProducer(boss, key);
    const processors = new Map<string, Processor>(definition.jobs.map((job) => [job.queue.name, jobProcessor(db, tenantDb, producer, job, tuning)]));
    const events = eventProcessor(definition.service, db, definition.consumers, producer);
    for (const queue of definition.queues) {
      const processor = processors.get(queue.name) ?? events;
      const work = {
        batchSize: 1,
        localConcurrency: queue.concurrency.perWorker,
        groupConcurrency: groupConcurrency(queue),
        perJobResults: true,
        pollingIntervalSeconds: tuning.pollingIntervalSeconds,
        // pg-boss waits the polling interval after every fetch, even one that found a job: with one
        // job per fetch, a lane would run at most one job a second. While the queue has a backlog
        // (its cached ready count, refreshed by the monitor), lanes fetch again at once instead.
        burstWhenReadyExceeds: 1,
      } as const;
      await boss.work(queue.name, work, (jobs: Job<unknown>[]) => track(inFlight, Promise.all(jobs.map((job) => settle(job, processor, { key, logger })))));
    }
    for (const job of definition.jobs) if (job.every) await schedulePeriodic(db, producer, definition.service, job);
    if (definition.relay) {
      const sources = tenantDb instanceof PlacementRoutedDatabase ? () => tenantDb.everyIsolatedDatabase() : undefined;
      relay = startRelay({ service: definition.service, db, boss, key, logger, intervalMs: tuning.relayIntervalMs, sources });
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  logger.info({ queues: definition.queues.map((queue) => queue.name), relay: definition.relay }, 'worker ready');
  return { name, close };
}

/**
 * Refuses to start on queues or subscriptions the migration has not declared: a consumer whose
 * queue is not subscribed to its event type would wait for events that never come.
 */
async function assertDeclared(boss: PgBoss, queues: readonly QueueDeclaration[]): Promise<void> {
  for (const queue of queues) {
    if (!(await boss.getQueue(queue.name))) throw new Error(`Queue ${queue.name} does not exist: run npm run migrate`);
    const { rows } = await boss.getDb().executeSql(`SELECT event FROM ${PGBOSS_SCHEMA}.subscription WHERE name = $1`, [queue.name]);
    const subscribed = new Set((rows as { event: string }[]).map((row) => row.event));
    const missing = queue.events.filter((event) => !subscribed.has(event));
    if (missing.length > 0) throw new Error(`Queue ${queue.name} is not subscribed to ${missing.join(', ')}: run npm run migrate`);
  }
}

/**
 * The processor of a job queue: a job signed for this queue, run in the context it was queued in
 * — unless its tenant's jobs are held (holds.ts), when it is put back to wait, unrun and uncounted.
 * A periodic job queues its next run in the same transaction.
 */
function jobProcessor(db: Database, tenantDb: Database, producer: JobProducer, definition: JobDefinition, tuning: WorkerTuning): Processor {
  const { handle, every } = definition;
  return async (claims, job) => {
    if (claims.route !== `queue:${job.name}` || !claims.context) throw new RefusedJobError(`${claims.route} is not a job of queue ${job.name}`);
    const context = claims.context;
    await runInTenant(db, context, job.signal, async (tx) => {
      if (context.access === 'tenant' && context.tenantId && (await deferIfHeld(tx, job, context.tenantId, tuning.holdRecheckSeconds))) return;
      await handle(
        {
          id: claims.id,
          queue: job.name,
          data: claims.data,
          context,
          attempt: job.retryCount + 1,
          signal: job.signal,
          enqueue: (queue, data, { forTenant, ...options } = {}) =>
            producer.enqueue(tx, queue, forTenant ? { ...context, access: 'tenant', tenantId: forTenant.id, tier: forTenant.tier ?? null } : context, data, options),
          deriveKey: (purpose) => db.deriveKey(purpose),
          db: tenantDb,
        },
        tx,
      );
      if (every) await producer.enqueue(tx, definition.queue, context, every.data, { startAfter: tuning.periodicSeconds ?? every.seconds });
    });
  };
}

/** The context of a periodic job: the worker itself, at platform level. */
export function periodicContext(service: string): TenantContext {
  return { requestId: randomUUID(), correlationId: null, access: 'platform', tenantId: null, principal: { id: `service:${service}-worker`, kind: 'service' }, roles: [], scopes: [], entitlements: [] };
}

/**
 * Queues a periodic job's first run unless its queue has a job waiting, retrying or running (the
 * chain is alive). Replicas starting together take turns through an advisory lock.
 */
async function schedulePeriodic(db: Database, producer: JobProducer, service: string, definition: JobDefinition): Promise<void> {
  const context = periodicContext(service);
  await db.withTenant(context, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`caregraph:periodic:${definition.queue.name}`]);
    const alive = await tx.query(`SELECT 1 FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 AND state IN ('created', 'retry', 'active') LIMIT 1`, [definition.queue.name]);
    if (alive.length === 0) await producer.enqueue(tx, definition.queue, context, definition.every!.data);
  });
}

function track<T>(inFlight: Set<Promise<unknown>>, promise: Promise<T>): Promise<T> {
  inFlight.add(promise);
  const settled = () => inFlight.delete(promise);
  promise.then(settled, settled);
  return promise;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/** Waits for `promise`, or `ms`, whichever comes first. */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
