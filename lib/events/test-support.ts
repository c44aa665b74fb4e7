/**
 * A suite's event pipeline for the outbox, relay and consumer tests: clinical-ops' relay running
 * over its real outbox, and a consumer of `clinical-ops.break-glass.declared` on a queue of the
 * suite's own in tenancy, whose effect is a row counted per event and which can be told to fail
 * once after its effect, before its commit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { adminUrl, testConfig } from '../../test/support/platform.js';
import type { Config } from '../config.js';
import { appUrl, Database, resolveBindingKey } from '../db/index.js';
import { defineQueue } from '../jobs/queues.js';
import { declareTestQueues, jobsOf, seededTenants, TEST_TUNING, uniqueSuffix, userContext, waitFor, withAdmin, type JobRow } from '../jobs/test-support.js';
import { defineWorker, startWorker } from '../jobs/worker.js';
import type { RunningWorker } from '../services.js';
import type { TenantContext } from '../tenant-context.js';
import type { EventPayload } from './catalog.js';
import { defineConsumer } from './consumer.js';
import { publishEvent } from './outbox.js';

export const TYPE = 'clinical-ops.break-glass.declared';

export interface EventsHarness {
  /** The suite's consumer's name in processed_events. */
  consumer: string;
  queue: string;
  /** Clinical-ops' pool, to publish with. */
  db: Database;
  /** Event ids whose first delivery fails after its effect. */
  crashOnce: Set<string>;
  /** Each delivery the consumer received, in order. */
  deliveries: string[];
  /** Publishes an event of `TYPE` for `tenantId`, committed; answers its id. */
  publish(tenantId: string): Promise<string>;
  /** A context of `tenantId` for publishing in a transaction of the test's own. */
  context(tenantId: string): TenantContext;
  /** How many times the consumer's effect for `eventId` is stored. */
  effects(eventId: string): Promise<number>;
  /** Waits until the suite's queue holds `count` completed deliveries of `eventId`. */
  completedDeliveries(eventId: string, count: number): Promise<JobRow[]>;
  close(): Promise<void>;
}

/** A payload of `TYPE` naming a grant that does not exist: the pipeline does not care. */
export const breakGlassPayload = (): EventPayload<typeof TYPE> => ({
  grantId: randomUUID(),
  roles: ['clinician'],
  patientCount: 1,
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
});

export async function startEventsHarness(options: { adminUrl: string; appUrl: string; config: Config }): Promise<EventsHarness> {
  const { adminUrl, appUrl, config } = options;
  const suffix = uniqueSuffix();
  const queue = defineQueue({ name: `eventstest-${suffix}.events`, retryLimit: 3, retryDelaySeconds: 1, retryDelayMaxSeconds: 1, expireInSeconds: 10 });
  // Rows of processed_events under a name of their own: a plain insert per delivery, never deduplicated.
  const effect = `effect-${suffix}`;
  const crashOnce = new Set<string>();
  const deliveries: string[] = [];
  const consumer = defineConsumer({
    name: `test-audit-${suffix}`,
    queue,
    type: TYPE,
    async handle(event, tx) {
      deliveries.push(event.id);
      await tx.query('INSERT INTO processed_events (consumer, event_id, tenant_id, event_type) VALUES ($1, gen_random_uuid(), $2, $3)', [effect, event.tenantId, event.id]);
      if (crashOnce.delete(event.id)) throw new Error('the consumer crashed after its effect, before its commit');
    },
  });
  const consuming = defineWorker({ service: 'events-test', dbSchema: 'tenancy', jobs: [], consumers: [consumer], relay: false });
  const relaying = defineWorker({ service: 'clinical-ops', dbSchema: 'clinical_ops', jobs: [], consumers: [], relay: true });
  const dropQueues = await declareTestQueues(adminUrl, consuming.queues);
  const workers: RunningWorker[] = [];
  for (const definition of [consuming, relaying]) workers.push(await startWorker(definition, { config, databaseUrl: appUrl, tuning: TEST_TUNING }));
  const db = new Database({ url: appUrl, schema: 'clinical_ops', poolSize: 2, bindingKey: resolveBindingKey(config) });
  return {
    consumer: consumer.name,
    queue: queue.name,
    db,
    crashOnce,
    deliveries,
    context: (tenantId) => userContext(tenantId),
    publish(tenantId) {
      const context = userContext(tenantId);
      return db.withTenant(context, (tx) => publishEvent(tx, TYPE, context, breakGlassPayload()));
    },
    effects: (eventId) =>
      withAdmin(adminUrl, async (client) => {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.processed_events WHERE consumer = $1 AND event_type = $2', [effect, eventId]);
        return rows[0]!.n;
      }),
    completedDeliveries: (eventId, count) =>
      waitFor(`${count} completed deliveries of ${eventId}`, async () => {
        const jobs = (await jobsOf(adminUrl, queue.name, eventId)).filter((job) => job.name === queue.name);
        return jobs.length === count && jobs.every((job) => job.state === 'completed') && jobs;
      }),
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await db.close();
      await dropQueues();
    },
  };
}

/**
 * The suite's pipeline, started before its tests and closed after them, with the first seeded
 * tenant to publish for. Read both inside tests (they are set by then).
 */
export function useEventsHarness(): { readonly events: EventsHarness; readonly tenant: string } {
  let events: EventsHarness | undefined;
  let tenant: string | undefined;
  beforeAll(async () => {
    events = await startEventsHarness({ adminUrl: adminUrl(), appUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), config: testConfig() });
    [tenant] = await seededTenants(adminUrl(), 1);
  });
  afterAll(() => events?.close());
  return {
    get events() {
      return events!;
    },
    get tenant() {
      return tenant!;
    },
  };
}
