/**
 * Consuming events, idempotently by event id. Delivery is at least once — a job can be retried
 * after its effect committed (a worker killed between the commit and the settlement), and an
 * event can be relayed twice — so each consumer records the event id in its service's
 * `processed_events` table in the same transaction as its effect: a redelivered event finds the
 * id and changes nothing, and an attempt that fails before its commit leaves no id behind, so
 * the retry does the work.
 */
import type { Job } from 'pg-boss';
import type { Database, Tx } from '../db/index.js';
import type { EnqueueOptions, JobProducer } from '../jobs/enqueue.js';
import { FinalJobError, RefusedJobError } from '../jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../jobs/queues.js';
import { runInTenant, type Processor } from '../jobs/runner.js';
import { runWithRequestContext } from '../request-context.js';
import type { TenantContext } from '../tenant-context.js';
import { parseEnvelope, type EventEnvelope, type EventType } from './catalog.js';

export interface EventConsumer<T extends EventType = EventType> {
  /** Names the consumer in `processed_events`: unique within its service, never renamed. */
  readonly name: string;
  /** The queue events reach it through; the worker definition subscribes it to `type`. */
  readonly queue: QueueDeclaration;
  readonly type: T;
  /**
   * The consumer's effect, in a transaction bound to the event's tenant. Throw FinalJobError
   * for an event it can never handle; any other error is retried.
   */
  handle(event: EventEnvelope<T>, tx: Tx, tools: ConsumerTools): Promise<void>;
}

/** What a consumer may do besides writing in its transaction. */
export interface ConsumerTools {
  /**
   * Queues a job of the consumer's service in the consumer's transaction (it exists only if the
   * effect commits), in the consumer's context or, for work the tenant binding cannot do, at
   * platform level (`{ platform: true }`).
   */
  enqueue<U>(
    queue: QueueDeclaration,
    data: U,
    options?: EnqueueOptions & {
      platform?: boolean;
      /** The tenant's tier and entitlements to queue the job under (its fair share, dedicated capacity), when the event carries them. */
      standing?: Pick<TenantContext, 'tier' | 'entitlements'>;
    },
  ): Promise<string>;
  /** A key for one purpose, derived from the binding key as the service's requests derive it (`Database.deriveKey`). */
  deriveKey(purpose: string): Buffer;
}

const NAME = /^[a-z][a-z0-9-]{1,62}$/;

/**
 * The queue a service's worker takes other domains' events on (`<service>.events`), worked at each
 * tenant's fair share and priority; the worker definition subscribes it to its consumers' types.
 */
export function eventsQueueOf(service: string): QueueDeclaration {
  return defineQueue({ name: `${service}.events`, retryLimit: 8, retryDelaySeconds: 2, retryDelayMaxSeconds: 600, expireInSeconds: 60 });
}

/** Checks a consumer's name; the rest is typed. */
export function defineConsumer<T extends EventType>(consumer: EventConsumer<T>): EventConsumer<T> {
  if (!NAME.test(consumer.name)) throw new Error(`Consumer name ${consumer.name} must be lower case with hyphens`);
  return Object.freeze(consumer);
}

/**
 * The context a consumer acts in: its own service, inside the event's tenant. It carries the
 * request id of the change that caused the event, so the consumer's log lines join the producer's.
 */
export function consumerContext(service: string, event: EventEnvelope): TenantContext {
  return {
    requestId: event.actor.requestId,
    correlationId: event.actor.correlationId,
    access: 'tenant',
    tenantId: event.tenantId,
    principal: { id: `service:${service}-worker`, kind: 'service' },
    roles: [],
    scopes: [],
    entitlements: [],
  };
}

/**
 * The processor of an event queue: the job must be a signed event of a type this queue's
 * consumers take (anything else is refused), its envelope must match the catalogue (or it goes
 * to the dead-letter queue), and each consumer of the type runs in a transaction of its own.
 */
export function eventProcessor(service: string, db: Database, consumers: readonly EventConsumer[], producer: JobProducer): Processor {
  const byType = new Map<string, EventConsumer[]>();
  for (const consumer of consumers) byType.set(consumer.type, [...(byType.get(consumer.type) ?? []), consumer]);
  return async (claims, job: Job<unknown>) => {
    const type = claims.route.startsWith('event:') ? claims.route.slice('event:'.length) : '';
    const takers = byType.get(type);
    if (!takers) throw new RefusedJobError(`${claims.route} is not an event queue ${job.name} consumes`);
    let event: EventEnvelope;
    try {
      event = parseEnvelope(claims.data);
    } catch (error) {
      throw new FinalJobError(`Event ${claims.id} does not match the catalogue: ${(error as Error).message}`);
    }
    if (event.type !== type || event.id !== claims.id) throw new RefusedJobError('The event does not match its signed route');
    const context = consumerContext(service, event);
    await runWithRequestContext(context, async () => {
      for (const consumer of takers) await consumeOnce(db, producer, consumer, context, event, job.signal);
    });
  };
}

async function consumeOnce(db: Database, producer: JobProducer, consumer: EventConsumer, context: TenantContext, event: EventEnvelope, signal: AbortSignal): Promise<void> {
  await runInTenant(db, context, signal, async (tx) => {
    const fresh = await tx.query(
      `INSERT INTO processed_events (consumer, event_id, tenant_id, event_type) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id`,
      [consumer.name, event.id, event.tenantId, event.type],
    );
    if (fresh.length === 0) return;
    await consumer.handle(event, tx, {
      enqueue: (queue, data, { platform, standing, ...options } = {}) =>
        producer.enqueue(tx, queue, platform ? { ...context, access: 'platform', tenantId: null } : { ...context, ...standing }, data, options),
      deriveKey: (purpose) => db.deriveKey(purpose),
    });
  });
}
