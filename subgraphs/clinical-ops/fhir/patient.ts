/**
 * Patient → FHIR R4 Patient. The MRN is the identifier (type MR, in the tenant's MRN system);
 * the name is one official HumanName; e-mail and phone are telecoms. The platform records no
 * administrative gender, so `gender` is left out rather than guessed.
 */
import type { ContactPoint, Patient } from '@medplum/fhirtypes';
import type { PatientRow } from '../patients.js';
import { mrnSystem, SYSTEMS } from './systems.js';

export function toFhirPatient(row: PatientRow): Patient & { id: string } {
  const telecom: ContactPoint[] = [];
  if (row.phone) telecom.push({ system: 'phone', value: row.phone });
  if (row.email) telecom.push({ system: 'email', value: row.email });
  return {
    resourceType: 'Patient',
    id: row.id,
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: SYSTEMS.identifierType, code: 'MR', display: 'Medical record number' }] },
        system: mrnSystem(row.tenant_id),
        value: row.mrn,
      },
    ],
    active: true,
    name: [{ use: 'official', family: row.family_name, given: [row.given_name] }],
    ...(telecom.length > 0 ? { telecom } : {}),
    birthDate: row.birth_date,
  };
}
