/** Appointment → FHIR Appointment: every status, participants, start/end, valid (app-2, app-3 included). */
import { describe, expect, it } from 'vitest';
import type { AppointmentRow } from '../appointments.js';
import { APPOINTMENT_STATUSES } from '../scheduling.js';
import { FHIR_APPOINTMENT_STATUS, toFhirAppointment } from './appointment.js';
import { fhirProblems } from './test-support.js';

const row: AppointmentRow = {
  id: '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  tenant_id: '0e9c2a44-9d7e-4c1b-8a55-3c3a0f6f7b10',
  patient_id: '5b0c7c8e-1f0a-4a53-9d38-1e9d6c1d2f01',
  provider_id: '7c6b5a49-3827-4615-a4b3-c2d1e0f9a8b7',
  location_id: '1d2c3b4a-5968-4776-8594-a3b2c1d0e9f8',
  starts_at: new Date('2030-03-04T09:30:00Z'),
  duration_minutes: 45,
  status: 'scheduled',
  reason: 'Follow-up visit',
};

describe('toFhirAppointment', () => {
  it.each(APPOINTMENT_STATUSES)('maps a %s appointment and validates', (status) => {
    const appointment = toFhirAppointment({ ...row, status });
    expect(fhirProblems(appointment)).toEqual([]);
    expect(appointment.status).toBe(FHIR_APPOINTMENT_STATUS[status]);
  });

  it('gives start, end = start + duration, the reason and the three participants', () => {
    expect(toFhirAppointment(row)).toEqual({
      resourceType: 'Appointment',
      id: row.id,
      status: 'booked',
      reasonCode: [{ text: 'Follow-up visit' }],
      start: '2030-03-04T09:30:00.000Z',
      end: '2030-03-04T10:15:00.000Z',
      minutesDuration: 45,
      participant: [
        { actor: { reference: `Patient/${row.patient_id}` }, required: 'required', status: 'accepted' },
        { actor: { reference: `Practitioner/${row.provider_id}` }, required: 'required', status: 'accepted' },
        { actor: { reference: `Location/${row.location_id}` }, required: 'required', status: 'accepted' },
      ],
    });
  });

  it('an appointment without provider or location (booked before they were recorded) has the patient alone, still valid', () => {
    const appointment = toFhirAppointment({ ...row, provider_id: null, location_id: null });
    expect(appointment.participant).toHaveLength(1);
    expect(fhirProblems(appointment)).toEqual([]);
  });

  it('the status map covers FHIR codes only', () => {
    expect(Object.values(FHIR_APPOINTMENT_STATUS).sort()).toEqual(['booked', 'cancelled', 'checked-in', 'fulfilled', 'noshow']);
  });
});
