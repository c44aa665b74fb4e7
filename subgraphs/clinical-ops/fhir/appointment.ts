/**
 * Appointment → FHIR R4 Appointment. Statuses map to FHIR's appointment status codes
 * (SCHEDULED → booked, CHECKED_IN → checked-in, COMPLETED → fulfilled, CANCELED → cancelled,
 * NO_SHOW → noshow); start and end are instants (end = start + duration, also given as
 * minutesDuration); the reason is free text (reasonCode.text: the platform codes no reasons).
 * Participants: the patient, the provider (Practitioner) and the location, those present.
 */
import type { Appointment, AppointmentParticipant } from '@medplum/fhirtypes';
import type { AppointmentRow } from '../appointments.js';
import { endOf, type AppointmentStatus } from '../scheduling.js';

export const FHIR_APPOINTMENT_STATUS: Readonly<Record<AppointmentStatus, Appointment['status']>> = {
  scheduled: 'booked',
  checked_in: 'checked-in',
  completed: 'fulfilled',
  canceled: 'cancelled',
  no_show: 'noshow',
};

export function toFhirAppointment(row: AppointmentRow): Appointment & { id: string } {
  // A canceled visit's participants did not take part; everyone else had accepted the booking.
  const status: AppointmentParticipant['status'] = row.status === 'canceled' ? 'declined' : 'accepted';
  const participant: AppointmentParticipant[] = [{ actor: { reference: `Patient/${row.patient_id}` }, required: 'required', status }];
  if (row.provider_id) participant.push({ actor: { reference: `Practitioner/${row.provider_id}` }, required: 'required', status });
  if (row.location_id) participant.push({ actor: { reference: `Location/${row.location_id}` }, required: 'required', status });
  return {
    resourceType: 'Appointment',
    id: row.id,
    status: FHIR_APPOINTMENT_STATUS[row.status],
    reasonCode: [{ text: row.reason }],
    start: row.starts_at.toISOString(),
    end: endOf({ startsAt: row.starts_at, durationMinutes: row.duration_minutes }).toISOString(),
    minutesDuration: row.duration_minutes,
    participant,
  };
}
