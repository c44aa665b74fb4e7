/**
 * Helpers for the job and event tests: queues declared for one suite (as `npm run migrate`
 * declares them) and removed afterwards, a worker and producer for them, contexts of seeded
 * tenants, and polling for a condition. Free of vitest, so worker.fixture.ts can use it too.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connectClient } from '../db/client.js';
import type { Config } from '../config.js';
import { Database, resolveBindingKey, type Tx } from '../db/index.js';
import { createLogger } from '../logger.js';
import type { TenantContext } from '../tenant-context.js';
import { startOwnerBoss } from './boss.js';
import { JobProducer } from './enqueue.js';
import { migratePgBoss } from './migrate.js';
import { deadLetterOf, type QueueDeclaration, type Tier } from './queues.js';
import { startWorker, type WorkerDefinition } from './worker.js';

/** A suffix that keeps one suite's queues apart from every other's. */
export const uniqueSuffix = (): string => randomBytes(4).toString('hex');

/** Declares `queues` as the migration does; the returned function deletes them again. */
export async function declareTestQueues(adminUrl: string, queues: readonly QueueDeclaration[]): Promise<() => Promise<void>> {
  await migratePgBoss(adminUrl, queues);
  return async () => {
    const boss = await startOwnerBoss(adminUrl);
    try {
      for (const queue of queues) {
        await boss.deleteQueue(queue.name);
        await boss.deleteQueue(deadLetterOf(queue.name));
      }
    } finally {
      await boss.stop({ graceful: false });
    }
  };
}

/** A user's context inside `tenantId`, as the gateway would forward it. */
export function userContext(tenantId: string, options: { tier?: Tier; principalId?: string; roles?: string[] } = {}): TenantContext {
  return {
    requestId: `req-${uniqueSuffix()}`,
    correlationId: null,
    access: 'tenant',
    tenantId,
    principal: { id: options.principalId ?? `user:jobs-test-${uniqueSuffix()}`, kind: 'user' },
    roles: options.roles ?? ['clinician'],
    scopes: ['clinical:read'],
    entitlements: [],
    tier: options.tier ?? 'standard',
  };
}

/** Seeded pooled tenants (their clinical rows in the shared tables), `count` of them, in a stable order. */
export async function seededTenants(adminUrl: string, count: number): Promise<string[]> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ id: string }>("SELECT id FROM tenancy.tenants WHERE placement = 'pooled' ORDER BY slug LIMIT $1", [count]);
    return rows.map((row) => row.id);
  });
}

/** Runs `work` on a fresh admin connection. */
export async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(adminUrl);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Polls `probe` until it answers something truthy, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A pg-boss job row as the tests read it (admin connection). */
export interface JobRow {
  id: string;
  name: string;
  state: string;
  retry_count: number;
  source_id: string | null;
  output: unknown;
}

/** The jobs of `queue` (and its dead-letter queue) whose signed id is `id`. */
export async function jobsOf(adminUrl: string, queue: string, id: string): Promise<JobRow[]> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<JobRow>(
      `SELECT id, name, state::text AS state, retry_count, source_id, output FROM pgboss.job
        WHERE name = ANY($1) AND data->>'id' = $2 ORDER BY created_on`,
      [[queue, deadLetterOf(queue)], id],
    );
    return rows;
  });
}

/** Short intervals, so a suite sees retries, expiry and shutdown in seconds. */
export const TEST_TUNING = Object.freeze({
  pollingIntervalSeconds: 0.5,
  superviseIntervalSeconds: 1,
  monitorIntervalSeconds: 1,
  relayIntervalMs: 200,
  shutdownTimeoutMs: 2000,
  // Periodic sweeps (the retention sweep) every few seconds rather than every hour.
  periodicSeconds: 2,
});

/**
 * A job handler's effect for the crash and shutdown tests: one row keyed by the job id (in
 * clinical_ops.processed_events, under the queue's name). A plain insert, so an effect made twice
 * fails the attempt on the key instead of passing unnoticed.
 */
export async function recordEffect(tx: Tx, queue: string, jobId: string): Promise<void> {
  await tx.query(`INSERT INTO processed_events (consumer, event_id, tenant_id, event_type) VALUES ($1, $2, caregraph.current_tenant_id(), 'job')`, [queue, jobId]);
}

/** How many effects the job with `jobId` of `queue` has made. */
export async function effectsOf(adminUrl: string, queue: string, jobId: string): Promise<number> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM clinical_ops.processed_events WHERE consumer = $1 AND event_id = $2', [queue, jobId]);
    return rows[0]!.n;
  });
}

/** A suite's jobs setup: its queues declared, a worker running them, and a producer to queue with. */
export interface JobsHarness {
  db: Database;
  producer: JobProducer;
  /** Queues `data` on `queue` to run in `context`, in a committed transaction of its tenant. */
  enqueue(context: TenantContext, queue: QueueDeclaration, data: unknown): Promise<string>;
  close(): Promise<void>;
}

/** Declares the queues of `definition`, starts its worker and a producer, as the application role. */
export async function startJobsHarness(options: { adminUrl: string; appUrl: string; config: Config; definition: WorkerDefinition }): Promise<JobsHarness> {
  const { adminUrl, appUrl, config, definition } = options;
  const bindingKey = resolveBindingKey(config);
  const dropQueues = await declareTestQueues(adminUrl, definition.queues);
  const worker = await startWorker(definition, { config, databaseUrl: appUrl, tuning: TEST_TUNING });
  const producer = await JobProducer.open({ url: appUrl, bindingKey, logger: createLogger('jobs-test', 'silent') });
  const db = new Database({ url: appUrl, schema: definition.dbSchema, poolSize: 2, bindingKey });
  return {
    db,
    producer,
    enqueue: (context, queue, data) => db.withTenant(context, (tx) => producer.enqueue(tx, queue, context, data)),
    async close() {
      await worker.close();
      await producer.close();
      await db.close();
      await dropQueues();
    },
  };
}
