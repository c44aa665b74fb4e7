/**
 * The wire contract between the connectors and the external systems (contract.ts lists the
 * routes): the JSON bodies each route takes and answers, as zod schemas. The connectors build
 * requests of these shapes and validate every answer against them — an answer that does not
 * match is `retryable: malformed_response`, never a crash; the simulators (simulators/) can
 * validate what they receive against the same schemas.
 *
 * The X12 transactions travel as JSON shaped after their loops and segments, not as EDI text:
 * dates are `CCYYMMDD` and amounts decimal strings of the currency's major unit, as in X12.
 * Answers may carry more fields than listed here (a system adds what it likes); requests carry
 * exactly these.
 */
import { z } from 'zod';

/** `CCYYMMDD`, as X12 writes dates. */
export const x12Date = z.string().regex(/^\d{8}$/, 'a date written CCYYMMDD');
/** An amount as X12 writes it (`25`, `25.5`, `1500.00`); a JSON number is taken too. */
export const x12Amount = z.union([z.string().regex(/^\d{1,10}(\.\d{1,2})?$/, 'a decimal amount'), z.number().min(0).max(1e10)]);
/** A payer's id in the payer directory (the path segment of the payer routes). */
export const payerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a payer id (letters, digits, _ or -, up to 40)');

/** Who is asking, or who bills: a provider by NPI (`XX`) or federal tax id (`FI`). */
const provider = z
  .object({
    name: z.string().min(1).max(120),
    identifierQualifier: z.enum(['XX', 'FI']),
    identifier: z.string().regex(/^[0-9-]{9,12}$/),
  })
  .strict();

/** The member, as loop 2100C/2010BA carries them. PHI: it goes to the payer and nowhere else. */
const subscriber = z
  .object({
    memberId: z.string().min(1).max(80),
    firstName: z.string().min(1).max(60),
    lastName: z.string().min(1).max(60),
    birthDate: x12Date,
  })
  .strict();

/** POST /payers/{payerId}/eligibility: an X12 270 eligibility inquiry. */
export const eligibilityInquirySchema = z
  .object({
    transactionSet: z.literal('270'),
    /** The inquiry's control number: the call's idempotency key. */
    controlNumber: z.string().min(1).max(255),
    informationSource: z.object({ payerId: payerIdSchema }).strict(),
    informationReceiver: provider,
    subscriber,
    /** EQ01 service type codes (`30`: health benefit plan coverage). */
    serviceTypeCodes: z.array(z.string().regex(/^[0-9A-Z]{1,2}$/)).min(1).max(10),
    serviceDate: x12Date,
  })
  .strict();
export type EligibilityInquiry = z.infer<typeof eligibilityInquirySchema>;

/**
 * One EB segment of a 271. `code` is EB01: `1` active coverage, `6` inactive, `B` co-payment,
 * `C` deductible (others are ignored). `timePeriod` is EB06 (`29`: remaining).
 */
export const benefitSchema = z.looseObject({
  code: z.string().min(1).max(2),
  serviceTypeCode: z.string().max(2).optional(),
  planCoverage: z.string().max(200).optional(),
  timePeriod: z.string().max(2).optional(),
  amount: x12Amount.optional(),
});

/**
 * An AAA segment: the payer could not answer the inquiry. `code` is AAA03 (`42` unable to respond
 * now, `72` invalid member id, `75` subscriber not found …), `followUp` AAA04 (`R` resubmit).
 */
export const requestRejectionSchema = z.looseObject({
  code: z.string().regex(/^[0-9A-Z]{2}$/),
  followUp: z.string().max(1).optional(),
});

/** 200 answer of the eligibility route: an X12 271. */
export const eligibilityResponseSchema = z.looseObject({
  transactionSet: z.literal('271'),
  controlNumber: z.string().max(255).optional(),
  benefits: z.array(benefitSchema).max(200).default([]),
  rejections: z.array(requestRejectionSchema).max(20).default([]),
});
export type EligibilityResponse = z.infer<typeof eligibilityResponseSchema>;

/** One service line of an 837P (loop 2400). */
const serviceLine = z
  .object({
    procedureCode: z.string().regex(/^[A-Z0-9]{5}$/),
    modifiers: z.array(z.string().regex(/^[A-Z0-9]{2}$/)).max(4),
    charge: z.string().regex(/^\d{1,10}\.\d{2}$/),
    units: z.number().int().min(1).max(999),
    serviceDate: x12Date,
    /** 1-based pointers into `claim.diagnosisCodes`. */
    diagnosisPointers: z.array(z.number().int().min(1).max(12)).min(1).max(4),
  })
  .strict();

/** POST /payers/{payerId}/claims (header Idempotency-Key): an X12 837 professional claim. */
export const claimSubmissionSchema = z
  .object({
    transactionSet: z.literal('837P'),
    controlNumber: z.string().min(1).max(255),
    billingProvider: provider,
    subscriber,
    payer: z.object({ payerId: payerIdSchema }).strict(),
    claim: z
      .object({
        /** CLM01, the submitter's own claim id (opaque). */
        claimId: z.string().min(1).max(64),
        totalCharge: z.string().regex(/^\d{1,10}\.\d{2}$/),
        placeOfService: z.string().regex(/^\d{2}$/),
        /** ICD-10-CM codes, without the dot. */
        diagnosisCodes: z.array(z.string().regex(/^[A-Z][0-9A-Z]{2,6}$/)).min(1).max(12),
        serviceLines: z.array(serviceLine).min(1).max(50),
      })
      .strict(),
  })
  .strict();
export type ClaimSubmission = z.infer<typeof claimSubmissionSchema>;

/** A reason the payer gives, as a code (a string alone is read as the code). */
const reason = z.union([
  z.string().min(1).max(200).transform((code) => ({ code, message: null })),
  z.looseObject({ code: z.string().min(1).max(50), message: z.string().max(500).nullish() }).transform(({ code, message }) => ({ code, message: message ?? null })),
]);

/**
 * 200 answer of the claim route, and of `GET /payers/{payerId}/claims/{key}` (the claim received
 * under that key answers what its submission answered).
 */
export const claimAnswerSchema = z.looseObject({
  payerClaimId: z.string().min(1).max(100),
  status: z.enum(['accepted', 'rejected']),
  reasons: z.array(reason).max(50).default([]),
});

/** The FHIR R4 resource types the EHR routes serve. */
export const FHIR_RESOURCE_TYPES = ['Patient', 'Appointment', 'Coverage'] as const;
export type FhirResourceType = (typeof FHIR_RESOURCE_TYPES)[number];
/** A FHIR id: letters, digits, `-` and `.`, up to 64. */
export const fhirIdSchema = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);

/** A FHIR resource as the EHR answers it: its type and id checked, the rest passed on. */
export const fhirResourceSchema = z.looseObject({ resourceType: z.enum(FHIR_RESOURCE_TYPES), id: fhirIdSchema });

/** GET /pharmacy/prescriptions/{id}. */
export const PRESCRIPTION_STATUSES = ['received', 'filled', 'ready', 'picked_up', 'canceled'] as const;
export const prescriptionAnswerSchema = z.looseObject({ id: z.string().min(1).max(64), status: z.enum(PRESCRIPTION_STATUSES) });

/** POST /messaging/messages (header Idempotency-Key). */
export const messageRequestSchema = z
  .object({
    channel: z.enum(['sms', 'email']),
    to: z.string().min(3).max(254),
    template: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    variables: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/), z.string().max(200)),
  })
  .strict();
export type MessageRequest = z.infer<typeof messageRequestSchema>;
export const messageAnswerSchema = z.looseObject({ messageId: z.string().min(1).max(100), status: z.literal('queued') });

/** The systems whose knobs the simulators take (`PUT /admin/knobs`), one per connector. */
export const knobsSchema = z.looseObject({
  latencyMs: z.number().min(0).max(120_000).optional(),
  failureRate: z.number().min(0).max(1).optional(),
  timeoutRate: z.number().min(0).max(1).optional(),
  malformedRate: z.number().min(0).max(1).optional(),
});
export type Knobs = z.infer<typeof knobsSchema>;
