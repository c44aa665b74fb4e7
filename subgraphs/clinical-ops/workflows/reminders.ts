/**
 * Appointment reminders (docs/workloads.md): `sendAppointmentReminder` asks patient messaging to
 * remind the patient of a SCHEDULED appointment by SMS or e-mail, on the reminders queue, under the
 * run's idempotency key — so a retry after a crash never reminds the patient twice.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../../lib/db/index.js';
import { BadUserInputError, NotFoundError } from '../../../lib/errors.js';
import { requireUuid } from '../../../lib/ids.js';
import type { ClinicalContext } from '../context.js';
import { integrationGatewayFor } from '../integrations/gateway.js';
import type { MessagePayload, MessageReceipt } from '../integrations/messaging.js';
import { assertTenantLevel } from '../requests.js';
import { startRun, workflowJobs, type WorkflowSpec } from './runner.js';

const CHANNELS = ['sms', 'email'] as const;
type Channel = (typeof CHANNELS)[number];

export async function sendAppointmentReminder(ctx: ClinicalContext, args: { appointmentId: unknown; channel: unknown }): Promise<{ id: string }> {
  assertTenantLevel(ctx.tenant);
  const tenant = ctx.tenant;
  const appointmentId = requireUuid(args.appointmentId, 'appointmentId');
  const channel = typeof args.channel === 'string' ? (args.channel.toLowerCase() as Channel) : undefined;
  if (!channel || !CHANNELS.includes(channel)) throw new BadUserInputError('channel must be SMS or EMAIL', { argument: 'channel' });
  const id = randomUUID();
  await ctx.db.withTenant(tenant, async (tx) => {
    const [appointment] = await tx.query<{ status: string; phone: string | null; email: string | null }>(
      `SELECT a.status, p.phone, p.email FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE a.id = $1`,
      [appointmentId],
    );
    if (!appointment) throw new NotFoundError('No such appointment');
    if (appointment.status !== 'scheduled') throw new BadUserInputError('Only a SCHEDULED appointment is reminded of', { argument: 'appointmentId' });
    if (!(channel === 'sms' ? appointment.phone : appointment.email)) {
      throw new BadUserInputError(`The patient has no ${channel === 'sms' ? 'phone number' : 'e-mail address'} on record`, { argument: 'channel' });
    }
    await startRun(tx, tenant, 'reminders', id);
    await tx.query(`INSERT INTO reminders (id, tenant_id, appointment_id, channel, requested_by) VALUES ($1, $2, $3, $4, $5)`, [id, tenant.tenantId, appointmentId, channel, tenant.principal.id]);
  });
  return { id };
}

async function prepare(tx: Tx, runId: string, idempotencyKey: string) {
  const [row] = await tx.query<{ tenant_id: string; channel: Channel; phone: string | null; email: string | null; starts_at: Date; location: string | null }>(
    `SELECT r.tenant_id, r.channel, p.phone, p.email, a.starts_at, l.name AS location
       FROM reminders r JOIN appointments a ON a.id = r.appointment_id JOIN patients p ON p.id = a.patient_id LEFT JOIN locations l ON l.id = a.location_id
      WHERE r.id = $1`,
    [runId],
  );
  if (!row) return null;
  const to = row.channel === 'sms' ? row.phone : row.email;
  if (!to) return null;
  const variables = { startsAt: row.starts_at.toISOString(), ...(row.location ? { location: row.location } : {}) };
  const payload: MessagePayload = row.channel === 'sms' ? { channel: 'sms', to, template: 'appointment_reminder', variables } : { channel: 'email', to, template: 'appointment_reminder', variables };
  return { tenantId: row.tenant_id, idempotencyKey, payload };
}

export const reminderSpec: WorkflowSpec<MessagePayload, MessageReceipt> = {
  workflow: 'reminders',
  prepare,
  call: (_context, request, db) => integrationGatewayFor(db).messaging.call(request),
  async onAccepted(tx, runId, receipt) {
    await tx.query(`UPDATE reminders SET message_id = $2, sent_at = now() WHERE id = $1`, [runId, receipt.messageId]);
  },
};

export const reminderJobs = workflowJobs(reminderSpec);
