/**
 * The transactional outbox: an event is a row written in the same transaction as the change it
 * describes, in the producing service's own `outbox` table. Either both commit or neither does,
 * so no event announces a change that was rolled back and no committed change goes untold. The
 * service's worker relays committed rows to pg-boss (relay.ts).
 *
 * The table is under row-level security like any tenant-owned table: only a transaction bound to
 * the event's tenant can write its events, so a statement run without the binding key cannot
 * inject one.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../db/index.js';
import { tierOf } from '../jobs/queues.js';
import type { TenantContext } from '../tenant-context.js';
import { EVENT_CATALOG, parsePayload, type Actor, type EventPayload, type EventType } from './catalog.js';

/** Who caused an event, from the context of the request or job that caused it. */
export function actorOf(context: Pick<TenantContext, 'principal' | 'requestId' | 'correlationId'>): Actor {
  return {
    principalId: context.principal.id,
    principalKind: context.principal.kind,
    requestId: context.requestId,
    correlationId: context.correlationId ?? null,
  };
}

/**
 * Writes event `type` for the context's tenant into the outbox of the transaction's service
 * (`tx` is bound to that tenant, see Database.withTenant); the payload is checked against the
 * catalogue first. Answers the event id. The tenant's tier travels with the row, so consumers
 * work the event at the tenant's priority.
 */
export async function publishEvent<T extends EventType>(
  tx: Tx,
  type: T,
  context: Pick<TenantContext, 'access' | 'tenantId' | 'principal' | 'requestId' | 'correlationId' | 'tier'>,
  payload: EventPayload<T>,
): Promise<string> {
  if (context.access !== 'tenant' || !context.tenantId) {
    throw new Error(`publishEvent(${type}): events belong to one tenant; publish from a tenant-bound context`);
  }
  const id = randomUUID();
  await tx.query(
    `INSERT INTO outbox (id, tenant_id, type, version, actor, payload, tier) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, context.tenantId, type, EVENT_CATALOG[type].version, JSON.stringify(actorOf(context)), JSON.stringify(parsePayload(type, payload)), tierOf(context)],
  );
  return id;
}
