/**
 * Payer claims (X12 837P as JSON, wire.ts), sent with the call's `Idempotency-Key`: the payer
 * answers the same key with its first answer and counts nothing twice.
 *
 * How a payer's answer maps (docs/integrations.md, *Outcomes*):
 * - 200 `status: 'accepted'` → `accepted`, body `{ payerClaimId, status: 'accepted', reasons }`.
 * - 200 `status: 'rejected'` → `accepted` too, body `{ payerClaimId, status: 'rejected', reasons }`:
 *   the claim reached the payer, which adjudicated it and said no. That is the payer's final
 *   business answer about the claim (record it, correct the claim, submit it again under a new
 *   key), with an id and reasons the workflow keeps — not a failure of the call. The outcome
 *   `rejected` stays what it is for every connector: the request itself was refused (4xx) and
 *   the payer holds nothing under the key. `retryable` is a transport failure: the payer may or
 *   may not hold the claim, and `lookup` says which.
 *
 * `lookup(tenantId, payerId, key)` reads what the payer received under a key
 * (`GET /payers/{payerId}/claims/{key}`): `{ received: true, claim }` with the answer the
 * submission got, or `{ received: false }` on a 404. A workflow whose worker died after sending
 * and before recording looks the key up before it sends again, and sends only when the payer
 * holds nothing under it: the claim reaches the payer at most once without relying on how long a
 * payer remembers its idempotency keys, and the answer already given is recorded as it was.
 */
import { z } from 'zod';
import type { Connector, ConnectorCall, ConnectorOutcome } from './contract.js';
import { invalidPayload, readBody, segment, type Transport } from './transport.js';
import { claimAnswerSchema, payerIdSchema, type ClaimSubmission } from './wire.js';
import { amountOf, directoryPayerId, isoDate, patientSchema, providerIdentification, providerSchema, x12DateOf } from './x12.js';

const lineSchema = z.object({
  /** CPT/HCPCS code. */
  procedureCode: z.string().regex(/^[A-Z0-9]{5}$/),
  modifiers: z.array(z.string().regex(/^[A-Z0-9]{2}$/)).max(4).default([]),
  chargeMinor: z.number().int().min(1).max(99_999_999),
  units: z.number().int().min(1).max(999).default(1),
  serviceDate: isoDate,
  /** 1-based pointers into `diagnosisCodes` (default: the first). */
  diagnosisPointers: z.array(z.number().int().min(1).max(12)).min(1).max(4).default([1]),
});

export const claimPayloadSchema = z.object({
  /** The tenant's payer code (mapped by the tenant's mapping), or a directory id. */
  payerId: payerIdSchema,
  /** The workflow's own id of the claim (CLM01): opaque, no PHI. */
  claimId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  memberId: z.string().trim().min(1).max(80),
  patient: patientSchema,
  provider: providerSchema,
  /** Place-of-service code; default: the tenant's field map (`11`, office). */
  placeOfService: z.string().regex(/^\d{2}$/).optional(),
  /** ICD-10-CM codes, with or without the dot (`J06.9`). */
  diagnosisCodes: z.array(z.string().regex(/^[A-Z][0-9A-Z]{2}\.?[0-9A-Z]{0,4}$/)).min(1).max(12),
  lines: z.array(lineSchema).min(1).max(50),
});
/** What a claim submission sends (what the workflow knows of the claim). */
export type ClaimPayload = z.input<typeof claimPayloadSchema>;

/** One reason a payer gave: its code, and its text when it sent one. */
export interface ClaimReason {
  code: string;
  message: string | null;
}

/** The payer's answer to a claim: received under `payerClaimId`, and accepted or rejected by it. */
export interface ClaimAnswer {
  payerClaimId: string;
  status: 'accepted' | 'rejected';
  reasons: ClaimReason[];
}

/** What the payer holds under a key. */
export type ClaimLookup = { received: true; claim: ClaimAnswer } | { received: false };

export interface PayerClaimsConnector extends Connector<ClaimPayload, ClaimAnswer> {
  /** What the payer received under `key` (the submission's idempotency key); `payerId` as in the payload. */
  lookup(tenantId: string, payerId: string, key: string, options?: { signal?: AbortSignal }): Promise<ConnectorOutcome<ClaimLookup>>;
}

const claimOf = (answer: z.infer<typeof claimAnswerSchema>): ClaimAnswer => ({ payerClaimId: answer.payerClaimId, status: answer.status, reasons: answer.reasons });

/** The 837P for a payload under the tenant's mapping, or null when the mapping needs what the payload lacks. */
function submissionOf(payload: z.infer<typeof claimPayloadSchema>, key: string, payerId: string, mapping: Parameters<typeof providerIdentification>[0]): ClaimSubmission | null {
  const billingProvider = providerIdentification(mapping, payload.provider);
  if (!billingProvider) return null;
  const total = payload.lines.reduce((sum, line) => sum + line.chargeMinor, 0);
  return {
    transactionSet: '837P',
    controlNumber: key,
    billingProvider,
    subscriber: {
      memberId: payload.memberId,
      firstName: payload.patient.givenName,
      lastName: payload.patient.familyName,
      birthDate: x12DateOf(payload.patient.birthDate),
    },
    payer: { payerId },
    claim: {
      claimId: payload.claimId,
      totalCharge: amountOf(total),
      placeOfService: payload.placeOfService ?? mapping.fieldMap.placeOfService,
      diagnosisCodes: payload.diagnosisCodes.map((code) => code.replace('.', '')),
      serviceLines: payload.lines.map((line) => ({
        procedureCode: line.procedureCode,
        modifiers: line.modifiers,
        charge: amountOf(line.chargeMinor),
        units: line.units,
        serviceDate: x12DateOf(line.serviceDate),
        diagnosisPointers: line.diagnosisPointers,
      })),
    },
  };
}

/** The payer claims connector over `transport`. */
export function createPayerClaimsConnector(transport: Transport): PayerClaimsConnector {
  return {
    kind: 'payer_claims',
    call(request: ConnectorCall<ClaimPayload>): Promise<ConnectorOutcome<ClaimAnswer>> {
      return transport.call<ClaimAnswer>({
        connector: 'payer_claims',
        tenantId: request.tenantId,
        signal: request.signal,
        prepare(mapping) {
          const parsed = claimPayloadSchema.safeParse(request.payload);
          if (!parsed.success) return invalidPayload('payer_claims', parsed.error);
          if (parsed.data.lines.some((line) => line.diagnosisPointers.some((pointer) => pointer > parsed.data.diagnosisCodes.length))) {
            return { refuse: { code: 'invalid_payload', message: 'payer_claims: payload.lines point to a diagnosis the claim does not list' } };
          }
          const payerId = directoryPayerId(mapping, parsed.data.payerId);
          const submission = submissionOf(parsed.data, request.idempotencyKey, payerId, mapping);
          if (!submission) return { refuse: { code: 'invalid_payload', message: 'payer_claims: the tenant sends the provider’s tax id, and payload.provider.taxId is missing' } };
          return { method: 'POST', path: `/payers/${segment(payerId)}/claims`, body: submission, idempotencyKey: request.idempotencyKey };
        },
        interpret(answer) {
          const read = readBody('payer_claims', claimAnswerSchema, answer.body);
          return 'verdict' in read ? read.verdict : { kind: 'accepted', body: claimOf(read.data) };
        },
      });
    },

    lookup(tenantId, payerId, key, options = {}) {
      return transport.call<ClaimLookup>({
        connector: 'payer_claims',
        tenantId,
        signal: options.signal,
        prepare(mapping) {
          if (!payerIdSchema.safeParse(payerId).success) return { refuse: { code: 'invalid_payload', message: 'payer_claims: payerId is not a payer id' } };
          if (!/^[\x21-\x7e]{1,255}$/.test(key)) return { refuse: { code: 'invalid_payload', message: 'payer_claims: the key must be 1–255 visible ASCII characters' } };
          const directoryId = directoryPayerId(mapping, payerId);
          return { method: 'GET', path: `/payers/${segment(directoryId)}/claims/${segment(key)}`, reads: [404] };
        },
        interpret(answer) {
          if (answer.status === 404) return { kind: 'accepted', body: { received: false } };
          const read = readBody('payer_claims', claimAnswerSchema, answer.body);
          return 'verdict' in read ? read.verdict : { kind: 'accepted', body: { received: true, claim: claimOf(read.data) } };
        },
      });
    },
  };
}
