/**
 * The control plane's side of tenants' integration mappings (docs/integrations.md): every change
 * clinical-ops reports enters the tenant's audit chain, and a protected change (endpoint, payer
 * ids) becomes a four-eyes change request of the governed setting `integration_mapping`, under the
 * id clinical-ops named. A platform admin other than the requester approves or rejects it with
 * approveChange / rejectChange; the decision's event applies it in clinical-ops. Applying an
 * approved `integration_mapping` request writes nothing in tenancy: the mapping is clinical-ops'.
 */
import { z } from 'zod';
import type { Tx } from '../../lib/db/index.js';
import { INTEGRATION_CONNECTORS } from '../../lib/events/catalog.js';
import { defineConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import { appendAudit } from './audit.js';
import { domainOwnedSetting, domainRequestQueue, openDomainRequest, type DomainRequest } from './domain-requests.js';

/** How long an integration mapping request stays open (clinical-ops' change expires with it). */
const REQUEST_HOURS = 72;

/** The request's value: the connector, and what the approver is asked to approve. */
const mappingValue = z
  .object({
    connector: z.enum(INTEGRATION_CONNECTORS),
    fields: z.array(z.string()).min(1),
    baseUrl: z.string().nullable().optional(),
    payerIds: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/**
 * The governed setting `integration_mapping`: its requests are opened by clinical-ops'
 * requestIntegrationMappingChange (through the job below), never by requestChange.
 */
export const integrationMappingSetting = domainOwnedSetting('integration_mapping', 'requestIntegrationMappingChange (clinical-ops)');

type OpenRequest = DomainRequest & { value: z.infer<typeof mappingValue> };

/** Opens the change request at platform level (change requests are written by the platform only). */
export const openIntegrationMappingRequestQueue = domainRequestQueue('tenancy.open-integration-mapping-request');

/** The request under clinical-ops' id, once however often the job runs. */
function openRequest(tx: Tx, key: Buffer, data: OpenRequest): Promise<void> {
  const value = mappingValue.parse(data.value);
  const justification = `Integration mapping of ${value.connector}: ${value.fields.join(', ')} (the requester's reasons are with the change in clinical-ops: integrationMappingChanges)`;
  return openDomainRequest(tx, key, { ...data, setting: 'integration_mapping', value, justification, hours: REQUEST_HOURS });
}

export const openIntegrationMappingRequestJob: JobDefinition = {
  queue: openIntegrationMappingRequestQueue,
  handle: (job: JobRun<OpenRequest>, tx) => openRequest(tx, job.deriveKey('audit'), job.data),
};

/** The consumer, on tenancy's events queue. */
export function integrationMappingConsumers(queue: QueueDeclaration) {
  const audit = defineConsumer({
    name: 'integration-mapping-audit',
    queue,
    type: 'clinical-ops.integration-mapping.changed',
    async handle(event, tx, tools) {
      const { connector, status, fields, revision, changeRequestId, protectedValue } = event.payload;
      const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [event.tenantId]);
      const principal = { id: event.actor.principalId, kind: event.actor.principalKind };
      await appendAudit(
        tx,
        tools.deriveKey('audit'),
        { principal, roles: [], requestId: event.actor.requestId },
        {
          owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
          action: `integration_mapping.${status}`,
          target: `integration_mapping:${connector}`,
          detail: { fields, revision, ...(changeRequestId ? { changeRequestId } : {}), ...(protectedValue ? { value: protectedValue } : {}) },
        },
      );
      if (status === 'pending_approval' && changeRequestId && protectedValue) {
        const data: OpenRequest = {
          changeRequestId,
          tenantId: event.tenantId,
          requestedBy: principal,
          requestId: event.actor.requestId,
          value: { connector, fields, ...protectedValue },
        };
        await tools.enqueue(openIntegrationMappingRequestQueue, data, { platform: true });
      }
    },
  });
  return [audit];
}
