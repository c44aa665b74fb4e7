/** Patient → FHIR Patient, valid against the R4 StructureDefinitions. */
import { describe, expect, it } from 'vitest';
import type { PatientRow } from '../patients.js';
import { toFhirPatient } from './patient.js';
import { mrnSystem } from './systems.js';
import { fhirProblems } from './test-support.js';

const row: PatientRow = {
  id: '5b0c7c8e-1f0a-4a53-9d38-1e9d6c1d2f01',
  tenant_id: '0e9c2a44-9d7e-4c1b-8a55-3c3a0f6f7b10',
  mrn: 'DEMO-0001-00001',
  given_name: 'Alex',
  family_name: 'Sample',
  birth_date: '1980-02-29',
  email: 'alex.sample@example.test',
  phone: '+1-555-0101',
};

describe('toFhirPatient', () => {
  it('maps identity, name, contacts and birth date, and validates', () => {
    const patient = toFhirPatient(row);
    expect(fhirProblems(patient)).toEqual([]);
    expect(patient).toMatchObject({
      resourceType: 'Patient',
      id: row.id,
      identifier: [{ system: mrnSystem(row.tenant_id), value: 'DEMO-0001-00001', type: { coding: [{ code: 'MR' }] } }],
      name: [{ use: 'official', family: 'Sample', given: ['Alex'] }],
      telecom: [
        { system: 'phone', value: '+1-555-0101' },
        { system: 'email', value: 'alex.sample@example.test' },
      ],
      birthDate: '1980-02-29',
    });
    expect(patient).not.toHaveProperty('gender');
  });

  it('leaves telecom out when there is none, still valid', () => {
    const patient = toFhirPatient({ ...row, email: null, phone: null });
    expect(patient).not.toHaveProperty('telecom');
    expect(fhirProblems(patient)).toEqual([]);
  });

  it('the validator is not a rubber stamp: a malformed birth date is reported', () => {
    expect(fhirProblems({ ...toFhirPatient(row), birthDate: '29/02/1980' })).toEqual([expect.stringContaining('Patient.birthDate')]);
  });
});
