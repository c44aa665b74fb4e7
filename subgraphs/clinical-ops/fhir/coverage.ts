/**
 * Coverage → FHIR R4 Coverage. The member id is both the identifier (in the payer's member-id
 * system) and `subscriberId`; the payer is a logical reference (its directory id as an
 * identifier, its name as display), since the platform keeps no Organization resources; group
 * number and plan name are coverage classes `group` and `plan`. An ENDED coverage is `cancelled`
 * with its period's end; an ACTIVE one is `active` (its period may still end on a known date).
 * The subscriber is only known when the patient is the subscriber (relationship self).
 */
import type { Coverage, CoverageClass } from '@medplum/fhirtypes';
import type { CoverageRow } from '../coverage.js';
import { memberIdSystem, SYSTEMS } from './systems.js';

export function toFhirCoverage(row: CoverageRow): Coverage & { id: string } {
  const classes: CoverageClass[] = [];
  if (row.group_number) classes.push({ type: { coding: [{ system: SYSTEMS.coverageClass, code: 'group' }] }, value: row.group_number });
  classes.push({ type: { coding: [{ system: SYSTEMS.coverageClass, code: 'plan' }] }, value: row.plan_name, name: row.plan_name });
  const patient = { reference: `Patient/${row.patient_id}` };
  return {
    resourceType: 'Coverage',
    id: row.id,
    identifier: [{ type: { coding: [{ system: SYSTEMS.identifierType, code: 'MB', display: 'Member Number' }] }, system: memberIdSystem(row.payer_id), value: row.member_id }],
    status: row.status === 'active' ? 'active' : 'cancelled',
    ...(row.relationship === 'self' ? { subscriber: patient } : {}),
    subscriberId: row.member_id,
    beneficiary: patient,
    relationship: { coding: [{ system: SYSTEMS.subscriberRelationship, code: row.relationship }] },
    period: { start: row.start_date, ...(row.end_date ? { end: row.end_date } : {}) },
    payor: [{ identifier: { system: SYSTEMS.payer, value: row.payer_id }, display: row.payer_name }],
    class: classes,
  };
}
