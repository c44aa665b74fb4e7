/** Coverage → FHIR Coverage: payer, member id, classes, relationship, period, status; valid. */
import { describe, expect, it } from 'vitest';
import type { CoverageRow } from '../coverage.js';
import { RELATIONSHIPS } from '../coverage.js';
import { toFhirCoverage } from './coverage.js';
import { memberIdSystem, SYSTEMS } from './systems.js';
import { fhirProblems } from './test-support.js';

const row: CoverageRow = {
  id: '2f3e4d5c-6b7a-4980-9a1b-2c3d4e5f6a7b',
  tenant_id: '0e9c2a44-9d7e-4c1b-8a55-3c3a0f6f7b10',
  patient_id: '5b0c7c8e-1f0a-4a53-9d38-1e9d6c1d2f01',
  payer_id: 'acme-health',
  payer_name: 'Acme Health Plans',
  member_id: 'ACM123456789',
  group_number: 'GRP-12345',
  plan_name: 'Silver PPO',
  relationship: 'self',
  start_date: '2024-01-01',
  end_date: null,
  status: 'active',
};

describe('toFhirCoverage', () => {
  it('maps an active coverage the patient subscribes to, and validates', () => {
    const coverage = toFhirCoverage(row);
    expect(fhirProblems(coverage)).toEqual([]);
    expect(coverage).toMatchObject({
      resourceType: 'Coverage',
      status: 'active',
      identifier: [{ system: memberIdSystem('acme-health'), value: 'ACM123456789' }],
      subscriberId: 'ACM123456789',
      subscriber: { reference: `Patient/${row.patient_id}` },
      beneficiary: { reference: `Patient/${row.patient_id}` },
      relationship: { coding: [{ system: SYSTEMS.subscriberRelationship, code: 'self' }] },
      period: { start: '2024-01-01' },
      payor: [{ identifier: { system: SYSTEMS.payer, value: 'acme-health' }, display: 'Acme Health Plans' }],
      class: [
        { type: { coding: [{ code: 'group' }] }, value: 'GRP-12345' },
        { type: { coding: [{ code: 'plan' }] }, value: 'Silver PPO', name: 'Silver PPO' },
      ],
    });
  });

  it('an ended coverage is cancelled with its period end; a dependant has no subscriber reference', () => {
    const coverage = toFhirCoverage({ ...row, status: 'ended', end_date: '2024-06-30', relationship: 'child', group_number: null });
    expect(fhirProblems(coverage)).toEqual([]);
    expect(coverage).toMatchObject({ status: 'cancelled', period: { start: '2024-01-01', end: '2024-06-30' } });
    expect(coverage).not.toHaveProperty('subscriber');
    expect(coverage.class).toHaveLength(1);
  });

  it.each(RELATIONSHIPS)('relationship %s validates', (relationship) => {
    expect(fhirProblems(toFhirCoverage({ ...row, relationship }))).toEqual([]);
  });
});
