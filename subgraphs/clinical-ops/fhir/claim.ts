/**
 * Claim → FHIR R4 Claim (a professional claim, use `claim`). The claims workflow keeps its claims
 * however it likes and hands this mapping a `ClaimRecord`: plain values, amounts in integer minor
 * units, references by id. `toFhirClaim(record)` answers the FHIR resource, or throws
 * `ClaimRecordError` when the record is not self-consistent (its total is not the sum of its
 * lines, a CPT code is malformed …) — a bug upstream, so the message names the field, never a
 * value.
 *
 *   import { toFhirClaim, type ClaimRecord } from '../fhir/claim.js';
 *   const resource = toFhirClaim(record);          // a FHIR Claim object
 *   const text = JSON.stringify(resource);         // what Patient.fhir and the others expose
 *
 * Mapping: patient → `patient`, provider → `provider` (Practitioner) and the careTeam's primary,
 * location → `facility`, coverage → the one focal `insurance`, each line → an `item` with its CPT
 * code, `quantity` (units), `net` (the line's charge) and the service date; `total` is the
 * record's total. Amounts are converted digit for digit (money.ts); `unitPrice` is left out, since
 * a line's charge divided by its units need not be a whole number of minor units. The payer's claim
 * number, once it has one, is a second identifier.
 */
import type { Claim, ClaimItem } from '@medplum/fhirtypes';
import { isUuid } from '../../../lib/ids.js';
import { MAX_MINOR_UNITS, currencyDigits, toFhirMoney } from './money.js';
import { SYSTEMS } from './systems.js';

/** Where a claim is in its workflow. */
export type ClaimStatus = 'draft' | 'ready' | 'submitted' | 'accepted' | 'rejected' | 'paid' | 'denied' | 'canceled';

/** One billed service. */
export interface ClaimLine {
  /** CPT (or HCPCS Level I) code: 5 characters, four digits and a digit, F (category II) or T (category III). */
  procedureCode: string;
  /** What the line charges in all, for all its units, in minor units of the claim's currency (≥ 0). */
  chargeMinor: number;
  /** How many units of the service (a whole number ≥ 1). */
  units: number;
}

/** A claim as the claims workflow hands it over. */
export interface ClaimRecord {
  /** The claim's uuid. */
  id: string;
  tenantId: string;
  patientId: string;
  /** The insurance_coverages row billed. */
  coverageId: string;
  /** The rendering provider (providers). */
  providerId: string;
  /** Where the service was given (locations). */
  locationId: string;
  /** The date of service, YYYY-MM-DD. */
  serviceDate: string;
  /** 1–50 lines, in billing order. */
  lines: ClaimLine[];
  /** The sum of the lines' charges, in minor units. */
  totalMinor: number;
  /** ISO 4217 (USD …). */
  currency: string;
  status: ClaimStatus;
  /** The payer's claim number once the payer accepted the claim; null before. */
  payerClaimId: string | null;
  /** When the claim was created: a Date, or an ISO-8601 instant. */
  createdAt: Date | string;
}

/** A ClaimRecord that cannot be a claim; `field` names what is wrong (never its value). */
export class ClaimRecordError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`ClaimRecord.${field}: ${message}`);
    this.name = 'ClaimRecordError';
  }
}

export const MAX_CLAIM_LINES = 50;
const CPT = /^[0-9]{4}[0-9FT]$/;

/**
 * FHIR's claim status: a draft is `draft`, a canceled claim `cancelled`, and every claim on its
 * way or decided is `active` (FHIR's Claim.status describes the resource, not the adjudication).
 */
export const FHIR_CLAIM_STATUS: Readonly<Record<ClaimStatus, Claim['status']>> = {
  draft: 'draft',
  ready: 'active',
  submitted: 'active',
  accepted: 'active',
  rejected: 'active',
  paid: 'active',
  denied: 'active',
  canceled: 'cancelled',
};

function check(record: ClaimRecord): void {
  for (const field of ['id', 'tenantId', 'patientId', 'coverageId', 'providerId', 'locationId'] as const) {
    if (!isUuid(record[field])) throw new ClaimRecordError(field, 'must be a UUID');
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(record.serviceDate) || Number.isNaN(Date.parse(`${record.serviceDate}T00:00:00Z`))) {
    throw new ClaimRecordError('serviceDate', 'must be a date as YYYY-MM-DD');
  }
  if (!Object.hasOwn(FHIR_CLAIM_STATUS, record.status)) throw new ClaimRecordError('status', 'is not a claim status');
  try {
    currencyDigits(record.currency);
  } catch {
    throw new ClaimRecordError('currency', 'must be an ISO 4217 code');
  }
  if (record.lines.length < 1 || record.lines.length > MAX_CLAIM_LINES) throw new ClaimRecordError('lines', `must hold 1–${MAX_CLAIM_LINES} lines`);
  let sum = 0;
  record.lines.forEach((line, i) => {
    if (!CPT.test(line.procedureCode)) throw new ClaimRecordError(`lines[${i}].procedureCode`, 'must be a CPT code (5 characters)');
    if (!Number.isSafeInteger(line.chargeMinor) || line.chargeMinor < 0 || line.chargeMinor > MAX_MINOR_UNITS) {
      throw new ClaimRecordError(`lines[${i}].chargeMinor`, 'must be a whole number of minor units ≥ 0');
    }
    if (!Number.isSafeInteger(line.units) || line.units < 1 || line.units > 9999) throw new ClaimRecordError(`lines[${i}].units`, 'must be a whole number 1–9999');
    sum += line.chargeMinor;
  });
  // Integers all the way: the sum is exact as long as it stays within MAX_MINOR_UNITS.
  if (sum > MAX_MINOR_UNITS) throw new ClaimRecordError('lines', 'charge more than an amount can hold');
  if (record.totalMinor !== sum) throw new ClaimRecordError('totalMinor', "must equal the sum of the lines' chargeMinor");
  const created = new Date(record.createdAt);
  if (Number.isNaN(created.getTime())) throw new ClaimRecordError('createdAt', 'must be a date-time');
  if (record.payerClaimId !== null && !/^[A-Za-z0-9._:-]{1,64}$/.test(record.payerClaimId)) {
    throw new ClaimRecordError('payerClaimId', 'must be 1–64 letters, digits or . _ : -');
  }
}

/** The FHIR R4 Claim of a claim record (see the file's comment for the mapping). */
export function toFhirClaim(record: ClaimRecord): Claim & { id: string } {
  check(record);
  const provider = { reference: `Practitioner/${record.providerId}` };
  const item: ClaimItem[] = record.lines.map((line, i) => ({
    sequence: i + 1,
    careTeamSequence: [1],
    productOrService: { coding: [{ system: SYSTEMS.cpt, code: line.procedureCode }] },
    servicedDate: record.serviceDate,
    locationReference: { reference: `Location/${record.locationId}` },
    quantity: { value: line.units },
    net: toFhirMoney(line.chargeMinor, record.currency),
  }));
  return {
    resourceType: 'Claim',
    id: record.id,
    identifier: [
      { system: SYSTEMS.recordId, value: record.id },
      ...(record.payerClaimId ? [{ system: SYSTEMS.payerClaimId, value: record.payerClaimId }] : []),
    ],
    status: FHIR_CLAIM_STATUS[record.status],
    type: { coding: [{ system: SYSTEMS.claimType, code: 'professional' }] },
    use: 'claim',
    patient: { reference: `Patient/${record.patientId}` },
    billablePeriod: { start: record.serviceDate, end: record.serviceDate },
    created: new Date(record.createdAt).toISOString(),
    provider,
    priority: { coding: [{ system: SYSTEMS.processPriority, code: 'normal' }] },
    careTeam: [{ sequence: 1, provider, responsible: true }],
    facility: { reference: `Location/${record.locationId}` },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${record.coverageId}` } }],
    item,
    total: toFhirMoney(record.totalMinor, record.currency),
  };
}
