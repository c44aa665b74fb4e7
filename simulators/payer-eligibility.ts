/**
 * A payer's eligibility service: an X12 270 inquiry as JSON in, a 271-shaped response out.
 *
 *   POST /payers/{payerId}/eligibility
 *
 * Any payer id of the right shape is a payer (the directory is clinical-ops'). The rules, the
 * same on every run: a member id ending in "0000" has no active coverage (271 eligibility code
 * 6, Inactive); any other is active, with a plan name, a copay and the deductible remaining
 * drawn from the seed and the payer and member ids, in integer minor units (US cents).
 */
import { z } from 'zod';
import { drawsFor, idFrom, pick } from './random.js';
import { MEMBER_ID, parseWith, pathParam, PAYER_ID, type SimulatedSystem } from './system.js';

const isoDate = z.iso.date();
const NPI = z.string().regex(/^\d{10}$/, 'must be a 10-digit NPI');

/** The 270 as JSON: who asks (provider), about whom (subscriber), for which service types (X12 EQ01 codes; 30 = health benefit plan coverage). */
export const eligibilityInquiry = z.object({
  transactionSet: z.literal('270').optional(),
  /** ST02/BHT03: echoed in the 271 (one is made up when absent). */
  controlNumber: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'must be 1–40 letters, digits or hyphens').optional(),
  provider: z.object({ npi: NPI.optional(), name: z.string().max(200).optional() }).optional(),
  subscriber: z.object({
    memberId: MEMBER_ID,
    firstName: z.string().max(100).optional(),
    lastName: z.string().max(100).optional(),
    dateOfBirth: isoDate.optional(),
  }),
  serviceTypeCodes: z.array(z.string().regex(/^[A-Z0-9]{1,2}$/, 'must be an X12 service type code')).min(1).max(20).optional(),
  dateOfService: isoDate.optional(),
});
export type EligibilityInquiry = z.output<typeof eligibilityInquiry>;

/** One 271 EB segment, as JSON. */
export interface Benefit {
  /** EB01: 1 active coverage, 6 inactive, B co-payment, C deductible. */
  eligibilityCode: '1' | '6' | 'B' | 'C';
  /** EB01 again, under its X12 name, for clients that read the segment as X12 (with `planCoverage` EB05, `amount` EB07 and `timePeriod` EB06). */
  code: '1' | '6' | 'B' | 'C';
  planCoverage?: string;
  /** EB07, a decimal amount in dollars ("15.00"). */
  amount?: string;
  description: string;
  serviceTypeCode: string;
  planName?: string;
  amountMinor?: number;
  /** EB06: `29`, remaining. */
  timePeriod?: '29';
}

export interface EligibilityResponse {
  transactionSet: '271';
  controlNumber: string;
  payerId: string;
  subscriber: { memberId: string };
  /** The benefits below, summed up for callers that need no X12. */
  coverage:
    | { active: true; planName: string; copayMinor: number; deductibleRemainingMinor: number; currency: 'USD' }
    | { active: false };
  benefits: Benefit[];
}

interface Plan {
  name: string;
  deductibleMinor: number;
}
/** Plans and their yearly deductible, in cents. */
const PLANS: readonly [Plan, ...Plan[]] = [
  { name: 'Bronze HMO 6000', deductibleMinor: 600_000 },
  { name: 'Silver PPO 3000', deductibleMinor: 300_000 },
  { name: 'Gold PPO 1000', deductibleMinor: 100_000 },
  { name: 'Platinum PPO 250', deductibleMinor: 25_000 },
];
const COPAYS_MINOR: readonly [number, ...number[]] = [1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000];

/** Minor units as an X12 decimal amount: 1500 → "15.00". */
const dollars = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

/** The 271 for an inquiry: a pure function of the seed, the payer and the inquiry. */
export function respond(seed: number, payerId: string, inquiry: EligibilityInquiry): EligibilityResponse {
  const { memberId } = inquiry.subscriber;
  const codes = inquiry.serviceTypeCodes ?? ['30'];
  // Two streams: whether a control number was sent must not change the member's plan.
  const controlNumber = inquiry.controlNumber ?? idFrom(drawsFor(seed, 'payer_eligibility', 'control', payerId, memberId), 9);
  const draws = drawsFor(seed, 'payer_eligibility', 'plan', payerId, memberId);
  const base = { transactionSet: '271' as const, controlNumber, payerId, subscriber: { memberId } };
  if (memberId.endsWith('0000')) {
    return { ...base, coverage: { active: false }, benefits: codes.map((serviceTypeCode) => ({ eligibilityCode: '6', code: '6', description: 'Inactive', serviceTypeCode })) };
  }
  const plan = pick(draws, PLANS);
  const copayMinor = pick(draws, COPAYS_MINOR);
  // Whole dollars, from nothing met to nothing left.
  const deductibleRemainingMinor = Math.floor(draws() * (plan.deductibleMinor / 100 + 1)) * 100;
  return {
    ...base,
    coverage: { active: true, planName: plan.name, copayMinor, deductibleRemainingMinor, currency: 'USD' },
    benefits: codes.flatMap((serviceTypeCode): Benefit[] => [
      { eligibilityCode: '1', code: '1', description: 'Active Coverage', serviceTypeCode, planName: plan.name, planCoverage: plan.name },
      { eligibilityCode: 'B', code: 'B', description: 'Co-Payment', serviceTypeCode, amountMinor: copayMinor, amount: dollars(copayMinor) },
      {
        eligibilityCode: 'C',
        code: 'C',
        description: 'Deductible',
        serviceTypeCode,
        amountMinor: deductibleRemainingMinor,
        amount: dollars(deductibleRemainingMinor),
        timePeriod: '29',
      },
    ]),
  };
}

export const payerEligibility: SimulatedSystem = {
  name: 'payer_eligibility',
  routes: [
    {
      method: 'POST',
      path: '/payers/:payerId/eligibility',
      accept({ params, body }) {
        const payerId = pathParam(params, 'payerId', PAYER_ID, 'lower-case letters, digits and hyphens (2–41)');
        const inquiry = parseWith(eligibilityInquiry, body, 'Invalid 270 inquiry');
        return {
          identity: `${payerId}\n${inquiry.subscriber.memberId}`,
          answer: ({ seed }) => ({ status: 200, body: respond(seed, payerId, inquiry) }),
        };
      },
    },
  ],
};
