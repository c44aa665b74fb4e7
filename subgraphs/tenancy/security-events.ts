/**
 * Security events: facts a platform operator reviews after the fact, recorded by the gateway
 * through an internal route before it executes the request they describe (today: platform
 * staff acting in a suspended or offboarded tenant), and by tenancy's worker from other
 * domains' events (break-glass declarations, see worker.ts). The table is append-only for the
 * application role, and rows hold identifiers only.
 */
import { randomUUID } from 'node:crypto';
import { securityEventSchema, type SecurityEvent } from '../../lib/auth/security-event.js';
import type { Database, Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import type { TenantContext } from '../../lib/tenant-context.js';

/**
 * Validates and writes one event; answers its id once committed. The write runs inside the
 * event's tenant, so row-level security checks the row belongs to it.
 */
export async function recordSecurityEvent(db: Database, caller: TenantContext, body: unknown): Promise<{ id: string }> {
  const parsed = securityEventSchema.safeParse(body);
  if (!parsed.success) {
    throw new BadUserInputError(`Invalid security event: ${parsed.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')}`);
  }
  const event = parsed.data;
  const id = randomUUID();
  await db.withTenant({ access: 'tenant', tenantId: event.tenantId, principal: caller.principal }, (tx) => insertSecurityEvent(tx, { ...event, id }));
  return { id };
}

/** A security event as stored: any kind in the table's `snake_case` form, identifiers only. */
export type SecurityEventRow = Omit<SecurityEvent, 'kind'> & { id: string; kind: string };

/**
 * Writes one event in `tx`, which must be bound to the event's tenant. An id names one fact:
 * writing the same id again (a redelivered event) leaves the stored row as it is.
 */
export async function insertSecurityEvent(tx: Tx, event: SecurityEventRow): Promise<void> {
  await tx.query(
    `INSERT INTO security_events (id, kind, tenant_id, principal_id, roles, request_id, correlation_id, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
    [event.id, event.kind, event.tenantId, event.principalId, event.roles, event.requestId, event.correlationId, JSON.stringify(event.detail)],
  );
}
