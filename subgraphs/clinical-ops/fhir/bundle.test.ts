/** The searchset Bundle: entries with full URLs and search mode, total, valid as a whole. */
import { describe, expect, it } from 'vitest';
import { toFhirAppointment } from './appointment.js';
import { searchsetBundle } from './bundle.js';
import { toFhirPatient } from './patient.js';
import { FHIR_BASE } from './systems.js';
import { fhirProblems } from './test-support.js';

const tenantId = '0e9c2a44-9d7e-4c1b-8a55-3c3a0f6f7b10';
const patient = toFhirPatient({ id: '5b0c7c8e-1f0a-4a53-9d38-1e9d6c1d2f01', tenant_id: tenantId, mrn: 'M-1', given_name: 'Sam', family_name: 'Example', birth_date: '1975-05-05', email: null, phone: null });
const appointment = toFhirAppointment({
  id: '9a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  tenant_id: tenantId,
  patient_id: patient.id,
  provider_id: null,
  location_id: null,
  starts_at: new Date('2030-01-01T08:00:00Z'),
  duration_minutes: 30,
  status: 'completed',
  reason: 'Lab review',
});

describe('searchsetBundle', () => {
  it('wraps resources as matches under their full URLs, with the total, and validates', () => {
    const bundle = searchsetBundle([patient, appointment], 7, 'c0ffee00-0000-4000-8000-000000000001', new Date('2030-01-02T00:00:00Z'));
    expect(fhirProblems(bundle)).toEqual([]);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 7, timestamp: '2030-01-02T00:00:00.000Z' });
    expect(bundle.entry!.map((entry) => [entry.fullUrl, entry.search?.mode])).toEqual([
      [`${FHIR_BASE}/Patient/${patient.id}`, 'match'],
      [`${FHIR_BASE}/Appointment/${appointment.id}`, 'match'],
    ]);
  });

  it('an empty page is a valid bundle too', () => {
    expect(fhirProblems(searchsetBundle([], 0, 'c0ffee00-0000-4000-8000-000000000002'))).toEqual([]);
  });
});
