/**
 * Reminders by schedule (docs/workloads.md): every 15 minutes clinical-ops' worker starts a
 * reminder run for each SCHEDULED appointment of the next 24 hours that has none yet — by SMS
 * when the patient has a phone number on record, by e-mail otherwise — in every tenant,
 * wherever its data lives. Each run then goes the reminders queue's way, once.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/db/index.js';
import { defineQueue } from '../../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../../lib/jobs/worker.js';
import { actingOn, type TenantContext } from '../../../lib/tenant-context.js';
import { startRun } from './runner.js';

export const REMINDER_SCHEDULE_EVERY_SECONDS = 15 * 60;
/** How far ahead an appointment is reminded of. */
export const REMIND_AHEAD_HOURS = 24;

/** Appointments (`a`, their patients `p`) due a reminder: scheduled within $1 hours, reachable, none sent yet. */
const DUE_APPOINTMENTS = `appointments a JOIN patients p ON p.id = a.patient_id
  WHERE a.status = 'scheduled' AND a.starts_at BETWEEN now() AND now() + make_interval(hours => $1)
    AND (p.phone IS NOT NULL OR p.email IS NOT NULL)
    AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.appointment_id = a.id)`;

export const reminderScheduleQueue = defineQueue({ name: 'clinical-ops.reminder-schedule', retryLimit: 3, retryDelaySeconds: 30, retryDelayMaxSeconds: 300, expireInSeconds: 300 });

/** Starts the reminders due; answers how many, per tenant. */
export async function scheduleReminders(job: { db: Database; context: TenantContext }): Promise<Map<string, number>> {
  const due = await job.db.acrossPlacements(job.context, (tx) =>
    tx.query<{ tenant_id: string }>(
      `SELECT DISTINCT a.tenant_id FROM ${DUE_APPOINTMENTS}`,
      [REMIND_AHEAD_HOURS],
    ),
  );
  const started = new Map<string, number>();
  for (const { tenant_id: tenantId } of due) {
    const context = actingOn(job.context, tenantId);
    const count = await job.db.withTenant(context, async (tx) => {
      const appointments = await tx.query<{ id: string; channel: 'sms' | 'email' }>(
        `SELECT a.id, CASE WHEN p.phone IS NOT NULL THEN 'sms' ELSE 'email' END AS channel
           FROM ${DUE_APPOINTMENTS}
          ORDER BY a.starts_at
          FOR UPDATE OF a SKIP LOCKED`,
        [REMIND_AHEAD_HOURS],
      );
      for (const appointment of appointments) {
        const id = randomUUID();
        await startRun(tx, context, 'reminders', id);
        await tx.query(`INSERT INTO reminders (id, tenant_id, appointment_id, channel, requested_by) VALUES ($1, $2, $3, $4, $5)`, [
          id,
          tenantId,
          appointment.id,
          appointment.channel,
          context.principal.id,
        ]);
      }
      return appointments.length;
    });
    started.set(tenantId, count);
  }
  return started;
}

export const reminderScheduleJob: JobDefinition = {
  queue: reminderScheduleQueue,
  every: { seconds: REMINDER_SCHEDULE_EVERY_SECONDS, data: { schedule: 'reminders' } },
  async handle(job: JobRun<unknown>) {
    await scheduleReminders(job);
  },
};
