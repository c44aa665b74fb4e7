/**
 * A payer's claims intake: an 837-shaped professional claim as JSON in, the payer's
 * acknowledgement out, at most once per Idempotency-Key.
 *
 *   POST /payers/{payerId}/claims          header Idempotency-Key → 200 { payerClaimId, status, reasons }
 *   GET  /payers/{payerId}/claims/{key}    the claim received under that key (200), or 404
 *
 * Both the flat JSON claim below and the X12-faithful 837P (decimal amounts, CCYYMMDD dates; see
 * `fromX12`) are taken. A well-formed claim is always answered 200: a payer's business rejection is an answer, not an
 * error. It is rejected — with every reason that applies — when its member id ends in "9999"
 * ("member not found"), its total charge is 0, or a service line has no procedure code; it is
 * accepted otherwise. The payer claim id is drawn from the seed, the payer and the key.
 */
import { z } from 'zod';
import { NotFoundError } from '../lib/errors.js';
import { drawsFor, idFrom } from './random.js';
import { IDEMPOTENCY_KEY, MEMBER_ID, parseWith, pathParam, PAYER_ID, type SimulatedSystem } from './system.js';

const isoDate = z.iso.date();
const minor = z.number().int().min(0);

/** SV1: one billed service. A missing or blank procedure code is the payer's rejection, not a malformed claim. */
const serviceLine = z.object({
  /** CPT/HCPCS: five letters or digits. */
  procedureCode: z.union([z.string().regex(/^\s*$/), z.string().regex(/^[A-Z0-9]{5}$/, 'must be a CPT/HCPCS code (5 letters or digits)')]).optional(),
  modifiers: z.array(z.string().regex(/^[A-Z0-9]{2}$/, 'must be a 2-character modifier')).max(4).optional(),
  chargeMinor: minor,
  units: z.number().int().min(1).max(9_999).optional(),
  serviceDate: isoDate.optional(),
});

/** The 837P as JSON: the claim (CLM), its subscriber, diagnoses (ICD-10) and service lines. */
export const claimSubmission = z.object({
  transactionSet: z.literal('837').optional(),
  /** CLM01, the provider's own claim number. */
  patientControlNumber: z.string().min(1).max(38),
  billingProvider: z.object({ npi: z.string().regex(/^\d{10}$/, 'must be a 10-digit NPI').optional(), name: z.string().max(200).optional() }).optional(),
  subscriber: z.object({ memberId: MEMBER_ID, firstName: z.string().max(100).optional(), lastName: z.string().max(100).optional(), dateOfBirth: isoDate.optional() }),
  /** CLM02, in cents. */
  totalChargeMinor: minor,
  currency: z.literal('USD').optional(),
  diagnosisCodes: z.array(z.string().regex(/^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$/, 'must be an ICD-10 code')).max(12).optional(),
  serviceLines: z.array(serviceLine).min(1).max(50),
});
export type ClaimSubmission = z.output<typeof claimSubmission>;

export interface ClaimAnswer {
  payerClaimId: string;
  status: 'accepted' | 'rejected';
  reasons: string[];
}

/** Why the payer rejects a claim, in this order; none: it accepts it. */
export function rejectionReasons(claim: ClaimSubmission): string[] {
  return [
    ...(claim.subscriber.memberId.endsWith('9999') ? ['member not found'] : []),
    ...(claim.totalChargeMinor === 0 ? ['total charge is zero'] : []),
    ...claim.serviceLines.flatMap((line, index) => (line.procedureCode?.trim() ? [] : [`service line ${index + 1} has no procedure code`])),
  ];
}

export function acknowledge(seed: number, payerId: string, key: string, claim: ClaimSubmission): ClaimAnswer {
  const reasons = rejectionReasons(claim);
  return { payerClaimId: `PCN-${idFrom(drawsFor(seed, 'payer_claims', payerId, key), 12)}`, status: reasons.length ? 'rejected' : 'accepted', reasons };
}

/** An X12 decimal amount ("152.50") as minor units, digit by digit; undefined when it is not one (the schema then refuses it). */
function minorOf(amount: unknown): unknown {
  if (typeof amount !== 'string') return amount;
  const match = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(amount);
  return match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : undefined;
}

/** `CCYYMMDD` as `CCYY-MM-DD`; anything else as it is. */
const isoOf = (date: unknown) => (typeof date === 'string' && /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}` : date);

/**
 * The X12-faithful 837P a clearinghouse sends (`transactionSet: '837P'`: amounts as decimal strings,
 * dates as CCYYMMDD, the claim under `claim`), read as the flat claim above; any other body as it is.
 */
export function fromX12(body: unknown): unknown {
  const x12 = body as { transactionSet?: unknown; billingProvider?: Record<string, unknown>; subscriber?: Record<string, unknown>; claim?: Record<string, unknown> } | null;
  if (!x12 || typeof x12 !== 'object' || x12.transactionSet !== '837P') return body;
  const claim = x12.claim ?? {};
  const lines: unknown = claim.serviceLines;
  return {
    transactionSet: '837',
    patientControlNumber: claim.claimId,
    billingProvider: x12.billingProvider && { npi: x12.billingProvider.identifierQualifier === 'XX' ? x12.billingProvider.identifier : undefined, name: x12.billingProvider.name },
    subscriber: x12.subscriber && {
      memberId: x12.subscriber.memberId,
      firstName: x12.subscriber.firstName,
      lastName: x12.subscriber.lastName,
      dateOfBirth: isoOf(x12.subscriber.birthDate),
    },
    totalChargeMinor: minorOf(claim.totalCharge),
    currency: 'USD',
    diagnosisCodes: Array.isArray(claim.diagnosisCodes)
      ? (claim.diagnosisCodes as unknown[]).map((code) => (typeof code === 'string' && code.length > 3 && !code.includes('.') ? `${code.slice(0, 3)}.${code.slice(3)}` : code))
      : claim.diagnosisCodes,
    serviceLines: Array.isArray(lines)
      ? (lines as Record<string, unknown>[]).map((line) => ({ procedureCode: line.procedureCode, modifiers: line.modifiers, chargeMinor: minorOf(line.charge), units: line.units, serviceDate: isoOf(line.serviceDate) }))
      : lines,
  };
}

const payerIdOf = (params: Readonly<Record<string, string>>) => pathParam(params, 'payerId', PAYER_ID, 'lower-case letters, digits and hyphens (2–41)');

export const payerClaims: SimulatedSystem = {
  name: 'payer_claims',
  routes: [
    {
      method: 'POST',
      path: '/payers/:payerId/claims',
      idempotent: true,
      accept({ params, body, key }) {
        const payerId = payerIdOf(params);
        const claim = parseWith(claimSubmission, fromX12(body), 'Invalid 837 claim');
        return { scope: payerId, answer: ({ seed }) => ({ status: 200, body: acknowledge(seed, payerId, key, claim) }) };
      },
    },
    {
      method: 'GET',
      path: '/payers/:payerId/claims/:key',
      accept({ params }) {
        const payerId = payerIdOf(params);
        const key = pathParam(params, 'key', IDEMPOTENCY_KEY, '1–200 visible ASCII characters, as its Idempotency-Key was');
        return {
          identity: `status\n${payerId}\n${key}`,
          answer(context) {
            const receipt = context.receipt(payerId, key);
            if (!receipt) throw new NotFoundError('No claim was received under this Idempotency-Key');
            const answer = receipt.answer.body as ClaimAnswer;
            return { status: 200, body: { ...answer, idempotencyKey: key, receivedAt: receipt.receivedAt, claim: receipt.request } };
          },
        };
      },
    },
  ],
};
