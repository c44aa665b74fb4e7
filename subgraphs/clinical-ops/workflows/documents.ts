/**
 * Document generation (docs/workloads.md): `fileVisitRecord` generates the visit's record — its
 * FHIR R4 Appointment (fhir/appointment.ts) — and files it with the tenant's EHR through the EHR
 * connector on the documents queue, keeping the EHR's id of it. The run's idempotency key makes
 * the EHR create it once, however often the attempt is made.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../../lib/db/index.js';
import { NotFoundError } from '../../../lib/errors.js';
import { requireUuid } from '../../../lib/ids.js';
import { APPOINTMENT_COLUMNS, type AppointmentRow } from '../appointments.js';
import type { ClinicalContext } from '../context.js';
import { toFhirAppointment } from '../fhir/appointment.js';
import type { EhrRequest, FhirResource } from '../integrations/ehr.js';
import { integrationGatewayFor } from '../integrations/gateway.js';
import { assertTenantLevel } from '../requests.js';
import { startRun, workflowJobs, type WorkflowSpec } from './runner.js';

export async function fileVisitRecord(ctx: ClinicalContext, args: { appointmentId: unknown }): Promise<{ id: string }> {
  assertTenantLevel(ctx.tenant);
  const tenant = ctx.tenant;
  const appointmentId = requireUuid(args.appointmentId, 'appointmentId');
  const id = randomUUID();
  await ctx.db.withTenant(tenant, async (tx) => {
    const [appointment] = await tx.query<{ id: string }>('SELECT id FROM appointments WHERE id = $1', [appointmentId]);
    if (!appointment) throw new NotFoundError('No such appointment');
    await startRun(tx, tenant, 'documents', id);
    await tx.query(`INSERT INTO documents (id, tenant_id, appointment_id, kind, requested_by) VALUES ($1, $2, $3, 'visit_record', $4)`, [id, tenant.tenantId, appointmentId, tenant.principal.id]);
  });
  return { id };
}

async function prepare(tx: Tx, runId: string, idempotencyKey: string) {
  const [row] = await tx.query<AppointmentRow>(
    `SELECT ${APPOINTMENT_COLUMNS.split(', ').map((column) => `a.${column}`).join(', ')} FROM documents d JOIN appointments a ON a.id = d.appointment_id WHERE d.id = $1`,
    [runId],
  );
  if (!row) return null;
  const { id: _ours, ...resource } = toFhirAppointment(row);
  const payload: EhrRequest = { action: 'create', resource };
  return { tenantId: row.tenant_id, idempotencyKey, payload };
}

export const documentSpec: WorkflowSpec<EhrRequest, FhirResource> = {
  workflow: 'documents',
  prepare,
  call: (_context, request, db) => integrationGatewayFor(db).ehr.call(request),
  async onAccepted(tx, runId, filed) {
    await tx.query(`UPDATE documents SET ehr_reference = $2, filed_at = now() WHERE id = $1`, [runId, `${filed.resourceType}/${filed.id}`]);
  },
};

export const documentJobs = workflowJobs(documentSpec);
