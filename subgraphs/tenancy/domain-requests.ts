/**
 * Change requests another domain opens in the control plane (docs/control-plane.md): a purchase
 * order above its threshold (erp), a protected integration mapping change (clinical-ops). The
 * domain names the request's id in its event; tenancy opens it at platform level in a job (change
 * requests are written by the platform only), once however often the job runs, and records
 * `change.requested` in the tenant's audit chain as the requester's act. A second platform admin
 * decides it with approveChange / rejectChange like any other; the decision's event comes back
 * to the domain, which applies it. Applying such a request writes nothing in tenancy.
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { defineQueue, type QueueDeclaration } from '../../lib/jobs/queues.js';
import { appendAudit } from './audit.js';
import type { SettingRule } from './governance.js';

/** What the domain's event says about the request. */
export interface DomainRequest {
  changeRequestId: string;
  tenantId: string;
  requestedBy: { id: string; kind: 'user' | 'api_key' | 'anonymous' | 'service' };
  requestId: string;
}

/** A governed setting whose requests only its domain opens: requestChange refuses it, naming the mutation that does. */
export function domainOwnedSetting(setting: string, openedBy: string): SettingRule {
  return {
    parse() {
      throw new BadUserInputError(`${setting} requests are opened by ${openedBy}, not requested directly`, { argument: 'input.setting' });
    },
    read: async () => null,
    write: async () => undefined,
  };
}

/** Opens the request (already validated `value`), open for `hours`; nothing when it exists or the tenant does not. */
export async function openDomainRequest(
  tx: Tx,
  key: Buffer,
  request: DomainRequest & { setting: string; value: unknown; justification: string; hours: number },
): Promise<void> {
  const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [request.tenantId]);
  if (!tenant) return;
  const [row] = await tx.query<{ expires_at: Date }>(
    `INSERT INTO change_requests (id, tenant_id, setting, value, justification, status, requested_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, now() + make_interval(hours => $7))
     ON CONFLICT (id) DO NOTHING RETURNING expires_at`,
    [request.changeRequestId, request.tenantId, request.setting, JSON.stringify(request.value), request.justification, request.requestedBy.id, request.hours],
  );
  if (!row) return;
  await appendAudit(
    tx,
    key,
    { principal: request.requestedBy, roles: [], requestId: request.requestId },
    {
      owner: { tenantId: request.tenantId, partnerId: tenant.partner_id },
      action: 'change.requested',
      target: `change_request:${request.changeRequestId}`,
      detail: { setting: request.setting, value: request.value, expiresAt: row.expires_at.toISOString() },
    },
  );
}

/**
 * The queue of a job that opens (or withdraws) such a request at platform level: retried for
 * minutes, since the domain's change is already committed and waits for it.
 */
export function domainRequestQueue(name: string): QueueDeclaration {
  return defineQueue({ name, retryLimit: 10, retryDelaySeconds: 2, retryDelayMaxSeconds: 300, expireInSeconds: 60 });
}
