/**
 * Protected changes to a tenant's integration mapping — its endpoint (`baseUrl`) and its payer id
 * map (`payerIds`) — through the control plane's four-eyes governance, as erp's purchase orders do
 * (subgraphs/erp/procurement.ts):
 *
 *   requestIntegrationMappingChange ─► PENDING (a change request of setting `integration_mapping`,
 *        │                              opened by tenancy's worker from this service's event)
 *        ├─approveChange (a platform admin other than the requester)─► APPLIED (this worker writes it)
 *        ├─rejectChange─► REJECTED (nothing written)
 *        └─past its expiry, superseded by a new request─► EXPIRED
 *
 * The change is held here until the decision's event (`tenancy.change-request.approved` /
 * `.rejected`) reaches clinical-ops' worker; its job applies it in the tenant's own database (an
 * ISOLATED tenant's included) with the `clinical-ops.integration-mapping.changed` event that puts
 * it in the tenant's audit chain, as the decider's act. Redelivery changes nothing: only a
 * PENDING change moves.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Tx } from '../../../lib/db/index.js';
import { BadUserInputError } from '../../../lib/errors.js';
import { defineConsumer } from '../../../lib/events/consumer.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import { FinalJobError } from '../../../lib/jobs/errors.js';
import { defineQueue, type QueueDeclaration } from '../../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../../lib/jobs/worker.js';
import type { ClinicalContext } from '../context.js';
import type { ConnectorKind } from './contract.js';
import { forgetMappings } from './gateway.js';
import { changedFields, connectorOf, parseProtectedChange } from './mapping.js';
import { lockMapping, mappingTenant, readMappingRow, rowOrDefaults, writeMapping } from './mapping-admin.js';

/** How long a protected change waits for its decision (tenancy's change requests default to the same). */
export const CHANGE_HOURS = 72;

export interface MappingChangeRow {
  change_request_id: string;
  tenant_id: string;
  connector: ConnectorKind;
  sets_base_url: boolean;
  base_url: string | null;
  payer_ids: Record<string, string> | null;
  justification: string;
  status: 'pending' | 'applied' | 'rejected' | 'expired';
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

const COLUMNS = `change_request_id, tenant_id, connector, sets_base_url, base_url, payer_ids, justification, status, requested_by, requested_at, expires_at,
  decided_by, decided_at`;

interface RequestInput {
  tenantId?: string | null;
  connector: string;
  baseUrl?: string | null;
  payerIds?: { tenantPayerCode: string; payerId: string }[] | null;
  justification: string;
}

function payerIdMap(list: RequestInput['payerIds']): Record<string, string> | undefined {
  if (list == null) return undefined;
  const map: Record<string, string> = {};
  for (const { tenantPayerCode, payerId } of list) {
    if (tenantPayerCode in map) throw new BadUserInputError(`input.payerIds names ${tenantPayerCode} twice`, { argument: 'input.payerIds' });
    map[tenantPayerCode] = payerId;
  }
  return map;
}

async function requestChange(ctx: ClinicalContext, input: RequestInput): Promise<MappingChangeRow> {
  const connector = connectorOf(input.connector, 'input.connector');
  const { tenantId, acting } = mappingTenant(ctx.tenant, input.tenantId, 'input.tenantId');
  const change = parseProtectedChange(connector, { baseUrl: input.baseUrl, payerIds: payerIdMap(input.payerIds) });
  const justification = input.justification.trim();
  if (justification.length < 1 || justification.length > 500) {
    throw new BadUserInputError('input.justification is required (1–500 characters)', { argument: 'input.justification' });
  }
  return ctx.db.withTenant(acting, async (tx) => {
    await lockMapping(tx, tenantId, connector);
    await tx.query(`UPDATE integration_mapping_changes SET status = 'expired' WHERE tenant_id = $1 AND connector = $2 AND status = 'pending' AND expires_at <= now()`, [
      tenantId,
      connector,
    ]);
    const [pending] = await tx.query<{ change_request_id: string }>(
      `SELECT change_request_id FROM integration_mapping_changes WHERE tenant_id = $1 AND connector = $2 AND status = 'pending'`,
      [tenantId, connector],
    );
    if (pending) {
      throw new BadUserInputError(`A protected change of ${connector} is waiting for its decision (change request ${pending.change_request_id}); it is decided first`, {
        argument: 'input.connector',
      });
    }
    const [row] = await tx.query<MappingChangeRow>(
      `INSERT INTO integration_mapping_changes (change_request_id, tenant_id, connector, sets_base_url, base_url, payer_ids, justification, requested_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(hours => $9)) RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        tenantId,
        connector,
        change.baseUrl !== undefined,
        change.baseUrl ?? null,
        change.payerIds === undefined ? null : JSON.stringify(change.payerIds),
        justification,
        acting.principal.id,
        CHANGE_HOURS,
      ],
    );
    const current = await readMappingRow(tx, tenantId, connector);
    // Tenancy opens the four-eyes request from this event, committed with the change or not at all.
    await publishEvent(tx, 'clinical-ops.integration-mapping.changed', acting, {
      connector,
      status: 'pending_approval',
      fields: changedFields(change),
      revision: current?.revision ?? 0,
      changeRequestId: row!.change_request_id,
      protectedValue: change,
    });
    return row!;
  });
}

/** A decision to apply, as the consumers queue it: which change, approved or not, and who decided. */
const decisionSchema = z
  .object({
    changeRequestId: z.uuid(),
    approved: z.boolean(),
    decidedBy: z.object({ id: z.string().min(1), kind: z.enum(['user', 'api_key', 'anonymous', 'service']) }).strict(),
  })
  .strict();
type Decision = z.infer<typeof decisionSchema>;

/** Applies decisions in the tenant's own database; patient retries while that database is away. */
export const mappingDecisionQueue = defineQueue({
  name: 'clinical-ops.integration-mapping-decision',
  retryLimit: 10,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 60,
});

/** Moves a PENDING change by its decision; anything else (decided already, another tenant's) is left alone. */
async function decide(tx: Tx, job: JobRun<unknown>, decision: Decision): Promise<void> {
  const tenantId = job.context.tenantId!;
  const [change] = await tx.query<MappingChangeRow>(
    `SELECT ${COLUMNS} FROM integration_mapping_changes WHERE change_request_id = $1 AND tenant_id = $2 AND status = 'pending' FOR UPDATE`,
    [decision.changeRequestId, tenantId],
  );
  if (!change) return;
  const decider = { ...job.context, principal: decision.decidedBy };
  await lockMapping(tx, tenantId, change.connector);
  const fields = [...(change.sets_base_url ? ['baseUrl'] : []), ...(change.payer_ids ? ['payerIds'] : [])];
  let revision: number;
  if (decision.approved) {
    const current = rowOrDefaults(tenantId, change.connector, await readMappingRow(tx, tenantId, change.connector), decision.decidedBy.id);
    const written = await writeMapping(tx, {
      ...current,
      base_url: change.sets_base_url ? change.base_url : current.base_url,
      payer_ids: change.payer_ids ?? current.payer_ids,
      updated_by: decision.decidedBy.id,
    });
    revision = written.revision;
  } else {
    revision = (await readMappingRow(tx, tenantId, change.connector))?.revision ?? 0;
  }
  await tx.query(`UPDATE integration_mapping_changes SET status = $2, decided_by = $3, decided_at = now() WHERE change_request_id = $1`, [
    change.change_request_id,
    decision.approved ? 'applied' : 'rejected',
    decision.decidedBy.id,
  ]);
  await publishEvent(tx, 'clinical-ops.integration-mapping.changed', decider, {
    connector: change.connector,
    status: decision.approved ? 'applied' : 'rejected',
    fields,
    revision,
    changeRequestId: change.change_request_id,
    protectedValue: null,
  });
}

export const mappingDecisionJob: JobDefinition = {
  queue: mappingDecisionQueue,
  async handle(job: JobRun<unknown>) {
    const parsed = decisionSchema.safeParse(job.data);
    if (!parsed.success) throw new FinalJobError('integration mapping decision does not match its schema');
    if (job.context.access !== 'tenant' || !job.context.tenantId) throw new FinalJobError('an integration mapping decision acts on one tenant');
    // Where the tenant's clinical data lives: its own database when isolated (the job's tx is the shared one).
    await job.db.withTenant(job.context, (tx) => decide(tx, job, parsed.data));
    forgetMappings(job.db, job.context.tenantId);
  },
};

/** The decisions' consumers, on clinical-ops' events queue: a decision of an `integration_mapping` request becomes a job. */
export function mappingDecisionConsumers(queue: QueueDeclaration) {
  const decided = (name: string, type: 'tenancy.change-request.approved' | 'tenancy.change-request.rejected') =>
    defineConsumer({
      name,
      queue,
      type,
      async handle(event, _tx, tools) {
        if (event.payload.setting !== 'integration_mapping') return;
        const decision: Decision = {
          changeRequestId: event.payload.changeRequestId,
          approved: type === 'tenancy.change-request.approved',
          decidedBy: { id: event.actor.principalId, kind: event.actor.principalKind },
        };
        await tools.enqueue(mappingDecisionQueue, decision);
      },
    });
  return [decided('integration-mapping-approval', 'tenancy.change-request.approved'), decided('integration-mapping-rejection', 'tenancy.change-request.rejected')];
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

const toChange = (row: MappingChangeRow) => ({
  id: row.change_request_id,
  tenant: { __typename: 'Tenant', id: row.tenant_id },
  connector: row.connector.toUpperCase(),
  status: row.status === 'pending' && row.expires_at <= new Date() ? 'EXPIRED' : row.status.toUpperCase(),
  changesBaseUrl: row.sets_base_url,
  baseUrl: row.base_url,
  payerIds: row.payer_ids && Object.entries(row.payer_ids).map(([tenantPayerCode, payerId]) => ({ tenantPayerCode, payerId })),
  justification: row.justification,
  requestedBy: row.requested_by,
  requestedAt: row.requested_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  decidedBy: row.decided_by,
  decidedAt: iso(row.decided_at),
});

export const mappingChangeResolvers = {
  Query: {
    async integrationMappingChanges(_: unknown, args: { tenantId?: string | null; first?: number | null }, ctx: ClinicalContext) {
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be 1–200', { argument: 'first' });
      const { tenantId, acting } = mappingTenant(ctx.tenant, args.tenantId, 'tenantId');
      const rows = await ctx.db.withTenant(acting, (tx) =>
        tx.query<MappingChangeRow>(`SELECT ${COLUMNS} FROM integration_mapping_changes WHERE tenant_id = $1 ORDER BY requested_at DESC, change_request_id LIMIT $2`, [
          tenantId,
          first,
        ]),
      );
      return rows.map(toChange);
    },
  },
  Mutation: {
    requestIntegrationMappingChange: async (_: unknown, args: { input: RequestInput }, ctx: ClinicalContext) => toChange(await requestChange(ctx, args.input)),
  },
};
