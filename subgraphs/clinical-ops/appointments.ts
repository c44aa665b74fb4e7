/**
 * Appointments: booked for a patient with a provider at a location, rescheduled, and moved
 * through their lifecycle (scheduling.ts has the rules). A provider, a location and a patient
 * each hold at most one SCHEDULED or CHECKED_IN appointment at any moment.
 *
 * Race safety without an exclusion constraint (btree_gist may not be installable by the migration
 * role): a booking first locks the patient's, the provider's and the location's rows — always in
 * that order, so two bookings cannot deadlock — with FOR NO KEY UPDATE, which serialises
 * bookings of the same provider or location but not the foreign-key checks of other writes. Only
 * then does it look for overlapping appointments; under READ COMMITTED that statement sees every
 * booking committed by whoever held the locks before, so two concurrent bookings of one slot
 * cannot both find it free.
 */
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Database, Tx } from '../../lib/db/index.js';
import { AppointmentConflictError, BadUserInputError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';
import { assertTenantLevel } from './requests.js';
import { assertTransition, BLOCKING_STATUSES, endOf, fromApiStatus, parseReason, parseSlot, toApiStatus, type AppointmentStatus, type Slot } from './scheduling.js';

export interface AppointmentRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  provider_id: string | null;
  location_id: string | null;
  starts_at: Date;
  duration_minutes: number;
  status: AppointmentStatus;
  reason: string;
}

/** The blocking statuses as SQL literals (constants, never input), so the planner can use the partial indexes of 011. */
const BLOCKING_SQL = BLOCKING_STATUSES.map((status) => `'${status}'`).join(', ');

export const APPOINTMENT_COLUMNS = 'id, tenant_id, patient_id, provider_id, location_id, starts_at, duration_minutes, status, reason';

export async function fetchAppointmentsByIds(tx: Tx, ids: readonly string[]): Promise<AppointmentRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<AppointmentRow>(`SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE id = ANY($1::uuid[])`, [valid]);
}

/** Appointments of many patients in one statement, grouped per patient in key order, earliest first. */
export function appointmentsByPatientLoader(db: Database, tenant: TenantContext) {
  return new DataLoader<string, AppointmentRow[]>(async (patientIds) => {
    const rows = await db.withTenant(tenant, (tx) =>
      tx.query<AppointmentRow>(`SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE patient_id = ANY($1::uuid[]) ORDER BY starts_at, id`, [
        patientIds.filter(isUuid),
      ]),
    );
    const grouped = new Map<string, AppointmentRow[]>();
    for (const row of rows) grouped.set(row.patient_id, [...(grouped.get(row.patient_id) ?? []), row]);
    return patientIds.map((id) => grouped.get(id) ?? []);
  });
}

interface Booking extends Slot {
  patientId: string;
  providerId: string;
  locationId: string;
}

/**
 * Locks what a booking occupies (patient, then provider, then location) and checks that each
 * exists in the tenant — another tenant's is as unknown as a made-up id — and that the provider
 * and location take bookings.
 */
async function lockParticipants(tx: Tx, booking: Booking): Promise<void> {
  const [patient] = await tx.query('SELECT id FROM patients WHERE id = $1 FOR NO KEY UPDATE', [booking.patientId]);
  if (!patient) throw new BadUserInputError('input.patientId names no patient of the tenant', { argument: 'input.patientId' });
  const [provider] = await tx.query<{ active: boolean }>('SELECT active FROM providers WHERE id = $1 FOR NO KEY UPDATE', [booking.providerId]);
  if (!provider) throw new BadUserInputError('input.providerId names no provider of the tenant', { argument: 'input.providerId' });
  if (!provider.active) throw new BadUserInputError('input.providerId names an inactive provider', { argument: 'input.providerId' });
  const [location] = await tx.query<{ active: boolean }>('SELECT active FROM locations WHERE id = $1 FOR NO KEY UPDATE', [booking.locationId]);
  if (!location) throw new BadUserInputError('input.locationId names no location of the tenant', { argument: 'input.locationId' });
  if (!location.active) throw new BadUserInputError('input.locationId names an inactive location', { argument: 'input.locationId' });
}

/**
 * APPOINTMENT_CONFLICT when the provider, the location or the patient already holds a blocking
 * appointment overlapping the booking (`except`: the appointment being rescheduled). Call with
 * the participants locked. The error names which argument conflicts, never the other booking.
 */
async function assertNoConflict(tx: Tx, booking: Booking, except: string | null): Promise<void> {
  const [conflict] = await tx.query<{ kind: 'provider' | 'location' | 'patient' }>(
    `SELECT CASE WHEN provider_id = $1 THEN 'provider' WHEN location_id = $2 THEN 'location' ELSE 'patient' END AS kind
       FROM appointments
      WHERE (provider_id = $1 OR location_id = $2 OR patient_id = $3)
        AND status IN (${BLOCKING_SQL}) AND id IS DISTINCT FROM $4::uuid
        AND starts_at < $6 AND starts_at + make_interval(mins => duration_minutes) > $5
      ORDER BY (provider_id = $1) IS TRUE DESC, (location_id = $2) IS TRUE DESC
      LIMIT 1`,
    [booking.providerId, booking.locationId, booking.patientId, except, booking.startsAt, endOf(booking)],
  );
  if (!conflict) return;
  const messages = {
    provider: 'The provider has another appointment at that time',
    location: 'The location has another appointment at that time',
    patient: 'The patient has another appointment at that time',
  };
  throw new AppointmentConflictError(messages[conflict.kind], { argument: `input.${conflict.kind}Id` });
}

interface ScheduleInput {
  patientId: string;
  providerId: string;
  locationId: string;
  startsAt: string;
  durationMinutes: number;
  reason: string;
}

interface RescheduleInput {
  id: string;
  startsAt: string;
  durationMinutes?: number | null;
  providerId?: string | null;
  locationId?: string | null;
}

/** Books an appointment in one transaction: participants locked, conflicts checked, the row written; nothing written on any refusal. */
export async function scheduleAppointment(db: Database, tenant: TenantContext & { tenantId: string }, input: ScheduleInput, now = new Date()): Promise<AppointmentRow> {
  const booking: Booking = {
    patientId: requireUuid(input.patientId, 'input.patientId'),
    providerId: requireUuid(input.providerId, 'input.providerId'),
    locationId: requireUuid(input.locationId, 'input.locationId'),
    ...parseSlot(input.startsAt, input.durationMinutes, now),
  };
  const reason = parseReason(input.reason);
  return db.withTenant(tenant, async (tx) => {
    await lockParticipants(tx, booking);
    await assertNoConflict(tx, booking, null);
    const [row] = await tx.query<AppointmentRow>(
      `INSERT INTO appointments (id, tenant_id, patient_id, provider_id, location_id, starts_at, duration_minutes, status, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8) RETURNING ${APPOINTMENT_COLUMNS}`,
      [randomUUID(), tenant.tenantId, booking.patientId, booking.providerId, booking.locationId, booking.startsAt, booking.durationMinutes, reason],
    );
    return row!;
  });
}

/**
 * Moves a SCHEDULED appointment to another time (and, if given, another provider or location),
 * checking conflicts again as a new booking would, its own old slot aside.
 */
export async function rescheduleAppointment(db: Database, tenant: TenantContext, input: RescheduleInput, now = new Date()): Promise<AppointmentRow> {
  const id = requireUuid(input.id, 'input.id');
  const providerId = input.providerId == null ? null : requireUuid(input.providerId, 'input.providerId');
  const locationId = input.locationId == null ? null : requireUuid(input.locationId, 'input.locationId');
  if (input.durationMinutes === null) throw new BadUserInputError('input.durationMinutes may be left out, not null', { argument: 'input.durationMinutes' });
  return db.withTenant(tenant, async (tx) => {
    // The appointment first: two reschedules of it take turns, and its status cannot change meanwhile.
    const [current] = await tx.query<AppointmentRow>(`SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1 FOR NO KEY UPDATE`, [id]);
    if (!current) throw new NotFoundError('No such appointment');
    if (current.status !== 'scheduled') {
      throw new InvalidTransitionError(`Only a SCHEDULED appointment can be rescheduled; this one is ${toApiStatus(current.status)}`, {
        from: toApiStatus(current.status),
        to: 'SCHEDULED',
      });
    }
    const target = providerId ?? current.provider_id;
    const place = locationId ?? current.location_id;
    if (!target) throw new BadUserInputError('input.providerId is needed: the appointment has no provider yet', { argument: 'input.providerId' });
    if (!place) throw new BadUserInputError('input.locationId is needed: the appointment has no location yet', { argument: 'input.locationId' });
    const booking: Booking = {
      patientId: current.patient_id,
      providerId: target,
      locationId: place,
      ...parseSlot(input.startsAt, input.durationMinutes ?? current.duration_minutes, now),
    };
    await lockParticipants(tx, booking);
    await assertNoConflict(tx, booking, id);
    const [row] = await tx.query<AppointmentRow>(
      `UPDATE appointments SET starts_at = $2, duration_minutes = $3, provider_id = $4, location_id = $5, updated_at = now()
        WHERE id = $1 RETURNING ${APPOINTMENT_COLUMNS}`,
      [id, booking.startsAt, booking.durationMinutes, booking.providerId, booking.locationId],
    );
    return row!;
  });
}

/** One move of the lifecycle (CHECKED_IN, COMPLETED, CANCELED, NO_SHOW); INVALID_TRANSITION for any other, nothing changed. */
export async function changeAppointmentStatus(db: Database, tenant: TenantContext, args: { id: string; status: string }): Promise<AppointmentRow> {
  const id = requireUuid(args.id, 'id');
  const to = fromApiStatus(args.status);
  return db.withTenant(tenant, async (tx) => {
    const [current] = await tx.query<AppointmentRow>(`SELECT ${APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1 FOR NO KEY UPDATE`, [id]);
    if (!current) throw new NotFoundError('No such appointment');
    assertTransition(current.status, to);
    const [row] = await tx.query<AppointmentRow>(`UPDATE appointments SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${APPOINTMENT_COLUMNS}`, [id, to]);
    return row!;
  });
}

export const appointmentResolvers = {
  Query: {
    appointment: (_: unknown, args: { id: string }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return ctx.loaders.appointmentById.load(requireUuid(args.id, 'id'));
    },
  },
  Mutation: {
    scheduleAppointment: (_: unknown, args: { input: ScheduleInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return scheduleAppointment(ctx.db, ctx.tenant, args.input);
    },
    rescheduleAppointment: (_: unknown, args: { input: RescheduleInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return rescheduleAppointment(ctx.db, ctx.tenant, args.input);
    },
    changeAppointmentStatus: (_: unknown, args: { id: string; status: string }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return changeAppointmentStatus(ctx.db, ctx.tenant, args);
    },
  },
  Appointment: {
    startsAt: (row: AppointmentRow) => row.starts_at.toISOString(),
    endsAt: (row: AppointmentRow) => endOf({ startsAt: row.starts_at, durationMinutes: row.duration_minutes }).toISOString(),
    durationMinutes: (row: AppointmentRow) => row.duration_minutes,
    status: (row: AppointmentRow) => toApiStatus(row.status),
    patient: (row: AppointmentRow, _: unknown, ctx: ClinicalContext) => ctx.loaders.patientById.load(row.patient_id),
    provider: (row: AppointmentRow, _: unknown, ctx: ClinicalContext) => (row.provider_id ? ctx.loaders.providerById.load(row.provider_id) : null),
    location: (row: AppointmentRow, _: unknown, ctx: ClinicalContext) => (row.location_id ? ctx.loaders.locationById.load(row.location_id) : null),
  },
};
