/** ClaimRecord → FHIR Claim: fixtures valid against R4, amounts exact, inconsistent records refused. */
import { describe, expect, it } from 'vitest';
import { ClaimRecordError, FHIR_CLAIM_STATUS, toFhirClaim, type ClaimRecord, type ClaimStatus } from './claim.js';
import { SYSTEMS } from './systems.js';
import { fhirProblems } from './test-support.js';

const base: ClaimRecord = {
  id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
  tenantId: '0e9c2a44-9d7e-4c1b-8a55-3c3a0f6f7b10',
  patientId: '5b0c7c8e-1f0a-4a53-9d38-1e9d6c1d2f01',
  coverageId: '2f3e4d5c-6b7a-4980-9a1b-2c3d4e5f6a7b',
  providerId: '7c6b5a49-3827-4615-a4b3-c2d1e0f9a8b7',
  locationId: '1d2c3b4a-5968-4776-8594-a3b2c1d0e9f8',
  serviceDate: '2030-03-04',
  lines: [
    { procedureCode: '99213', chargeMinor: 12_550, units: 1 },
    { procedureCode: '36415', chargeMinor: 1_010, units: 1 },
    { procedureCode: '97110', chargeMinor: 10_020, units: 3 },
  ],
  totalMinor: 23_580,
  currency: 'USD',
  status: 'submitted',
  payerClaimId: null,
  createdAt: new Date('2030-03-04T17:00:00Z'),
};

/** Fixtures the claims workflow will hand over: each status, other currencies, a payer claim number, category II/III codes. */
const FIXTURES: [string, ClaimRecord][] = [
  ['a submitted three-line claim', base],
  ...(Object.keys(FHIR_CLAIM_STATUS) as ClaimStatus[]).map((status): [string, ClaimRecord] => [`a ${status} claim`, { ...base, status }]),
  ['an accepted claim with the payer’s claim number', { ...base, status: 'accepted', payerClaimId: 'ACME-2030-000123' }],
  ['a claim in euros with a category II code', { ...base, currency: 'EUR', lines: [{ procedureCode: '1036F', chargeMinor: 0, units: 1 }, { procedureCode: '0042T', chargeMinor: 99_999, units: 2 }], totalMinor: 99_999 }],
  ['a claim in yen (no minor digits)', { ...base, currency: 'JPY', lines: [{ procedureCode: '99213', chargeMinor: 8_000, units: 1 }], totalMinor: 8_000, createdAt: '2030-03-04T17:00:00+09:00' }],
];

describe('toFhirClaim', () => {
  it.each(FIXTURES)('%s validates against R4', (_, record) => {
    expect(fhirProblems(toFhirClaim(record))).toEqual([]);
  });

  it('maps parties, insurance, lines and totals', () => {
    const claim = toFhirClaim({ ...base, payerClaimId: 'ACME-1' });
    expect(claim).toMatchObject({
      resourceType: 'Claim',
      id: base.id,
      status: 'active',
      use: 'claim',
      type: { coding: [{ system: SYSTEMS.claimType, code: 'professional' }] },
      patient: { reference: `Patient/${base.patientId}` },
      provider: { reference: `Practitioner/${base.providerId}` },
      facility: { reference: `Location/${base.locationId}` },
      insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${base.coverageId}` } }],
      created: '2030-03-04T17:00:00.000Z',
      identifier: [
        { system: SYSTEMS.recordId, value: base.id },
        { system: SYSTEMS.payerClaimId, value: 'ACME-1' },
      ],
    });
    expect(claim.item!.map((item) => [item.sequence, item.productOrService.coding![0]!.code, item.quantity!.value, item.net])).toEqual([
      [1, '99213', 1, { value: 125.5, currency: 'USD' }],
      [2, '36415', 1, { value: 10.1, currency: 'USD' }],
      [3, '97110', 3, { value: 100.2, currency: 'USD' }],
    ]);
    expect(claim.item![0]).not.toHaveProperty('unitPrice');
  });

  it('writes amounts as exact decimals: the JSON total is the integer sum, not a float sum', () => {
    expect(JSON.stringify(toFhirClaim(base))).toContain('"total":{"value":235.8,"currency":"USD"}');
    // 1.10 + 2.20 in floating point is 3.3000000000000003; the claim's total is 330 minor units, written 3.3.
    expect(1.1 + 2.2).not.toBe(3.3);
    const lines = [
      { procedureCode: '99211', chargeMinor: 110, units: 1 },
      { procedureCode: '36415', chargeMinor: 220, units: 1 },
    ];
    const json = JSON.stringify(toFhirClaim({ ...base, lines, totalMinor: 330 }));
    expect(json).toContain('"total":{"value":3.3,"currency":"USD"}');
    expect(json).toContain('"net":{"value":1.1,"currency":"USD"}');
    expect(JSON.stringify(toFhirClaim({ ...base, currency: 'JPY', lines: [{ procedureCode: '99213', chargeMinor: 8000, units: 1 }], totalMinor: 8000 }))).toContain(
      '"total":{"value":8000,"currency":"JPY"}',
    );
  });

  it.each([
    ['totalMinor', { totalMinor: 23_581 }],
    ['lines[0].procedureCode', { lines: [{ procedureCode: '9921', chargeMinor: 1, units: 1 }], totalMinor: 1 }],
    ['lines[0].chargeMinor', { lines: [{ procedureCode: '99213', chargeMinor: 12.5, units: 1 }], totalMinor: 12.5 }],
    ['lines[0].units', { lines: [{ procedureCode: '99213', chargeMinor: 100, units: 0 }], totalMinor: 100 }],
    ['lines', { lines: [], totalMinor: 0 }],
    ['currency', { currency: 'usd' }],
    ['serviceDate', { serviceDate: '04/03/2030' }],
    ['patientId', { patientId: 'patient-1' }],
    ['status', { status: 'lost' as ClaimStatus }],
    ['createdAt', { createdAt: 'yesterday' }],
  ] as [string, Partial<ClaimRecord>][])('refuses a record whose %s is wrong, naming the field', (field, change) => {
    const attempt = () => toFhirClaim({ ...base, ...change });
    expect(attempt).toThrow(ClaimRecordError);
    expect(attempt).toThrow(`ClaimRecord.${field}:`);
  });
});
