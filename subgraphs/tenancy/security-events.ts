/**
 * Security events: facts a platform operator reviews after the fact, recorded by the gateway
 * through an internal route before it executes the request they describe (today: platform
 * staff acting in a suspended or offboarded tenant). The table is append-only for the
 * application role, and rows hold identifiers only.
 */
import { randomUUID } from 'node:crypto';
import { securityEventSchema } from '../../lib/auth/security-event.js';
import type { Database } from '../../lib/db/index.js';
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
  await db.withTenant({ access: 'tenant', tenantId: event.tenantId, principal: caller.principal }, (tx) =>
    tx.query(
      `INSERT INTO security_events (id, kind, tenant_id, principal_id, roles, request_id, correlation_id, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, event.kind, event.tenantId, event.principalId, event.roles, event.requestId, event.correlationId, JSON.stringify(event.detail)],
    ),
  );
  return { id };
}
