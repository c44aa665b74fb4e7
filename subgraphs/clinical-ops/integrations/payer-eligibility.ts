/**
 * Payer eligibility (X12 270/271 as JSON, wire.ts): is the member covered on the service date,
 * under which plan, with what co-payment and deductible left.
 *
 * The payload is system-neutral; the tenant's mapping gives the payer's directory id for the
 * tenant's payer code, the provider identifier to send (NPI or tax id) and the service types to
 * ask about. The 271 becomes `EligibilityAnswer`: `active` from EB01 `1` (active) or `6`
 * (inactive), the plan from the active segment's EB05, the co-payment from EB01 `B` and the
 * deductible left from EB01 `C` with EB06 `29` (remaining).
 *
 * A 271 that carries AAA segments is the payer saying it could not answer: `rejected` with code
 * `aaa_<AAA03>` (`aaa_72` invalid member id, `aaa_75` subscriber not found …) — except AAA03 `42`
 * or `80` (unable to respond now, no response) and AAA04 `P` (resubmit), which are `retryable:
 * server_error`. A 271 with neither an active nor an inactive segment says nothing about
 * coverage: `retryable: malformed_response`.
 */
import { z } from 'zod';
import type { Connector, ConnectorCall, ConnectorOutcome } from './contract.js';
import { invalidPayload, readBody, segment, type Transport, type Verdict } from './transport.js';
import { eligibilityResponseSchema, payerIdSchema, type EligibilityInquiry, type EligibilityResponse } from './wire.js';
import { directoryPayerId, isoDate, minorUnitsOf, patientSchema, providerIdentification, providerSchema, x12DateOf } from './x12.js';

export const eligibilityPayloadSchema = z.object({
  /** The tenant's payer code (mapped to a directory id by the tenant's mapping), or a directory id. */
  payerId: payerIdSchema,
  memberId: z.string().trim().min(1).max(80),
  patient: patientSchema,
  provider: providerSchema,
  serviceDate: isoDate,
});
/** What an eligibility check asks. */
export type EligibilityPayload = z.infer<typeof eligibilityPayloadSchema>;

/** What the payer answered, in minor units of the plan's currency; null where the 271 says nothing. */
export interface EligibilityAnswer {
  active: boolean;
  planName: string | null;
  copayMinor: number | null;
  deductibleRemainingMinor: number | null;
}

export type PayerEligibilityConnector = Connector<EligibilityPayload, EligibilityAnswer>;

/** AAA03 codes that mean "not now", not "no". */
const TRY_LATER = new Set(['42', '80']);

/** The answer of a 271, or the verdict when it is no answer. */
export function readEligibility(response: EligibilityResponse, serviceTypeCodes: readonly string[]): Verdict<EligibilityAnswer> {
  const [rejection] = response.rejections;
  if (rejection) {
    if (TRY_LATER.has(rejection.code) || rejection.followUp === 'P') {
      return { kind: 'retryable', reason: 'server_error', message: `payer_eligibility: the payer cannot answer now (AAA ${rejection.code})` };
    }
    return { kind: 'rejected', code: `aaa_${rejection.code}`, message: `payer_eligibility: the payer could not answer the inquiry (AAA ${rejection.code})` };
  }
  const active = response.benefits.find((benefit) => benefit.code === '1');
  const inactive = response.benefits.some((benefit) => benefit.code === '6');
  if (!active && !inactive) {
    return { kind: 'retryable', reason: 'malformed_response', message: 'payer_eligibility: the 271 says neither active nor inactive coverage' };
  }
  // The service types asked about first; a segment for no service type applies to all of them.
  const asked = (code: string | undefined) => code === undefined || serviceTypeCodes.includes(code);
  const copay = response.benefits.find((benefit) => benefit.code === 'B' && benefit.amount !== undefined && asked(benefit.serviceTypeCode));
  const deductible = response.benefits.find((benefit) => benefit.code === 'C' && benefit.timePeriod === '29' && benefit.amount !== undefined && asked(benefit.serviceTypeCode));
  return {
    kind: 'accepted',
    body: {
      active: Boolean(active),
      planName: active?.planCoverage ?? null,
      copayMinor: copay?.amount === undefined ? null : minorUnitsOf(copay.amount),
      deductibleRemainingMinor: deductible?.amount === undefined ? null : minorUnitsOf(deductible.amount),
    },
  };
}

/** The payer eligibility connector over `transport`. */
export function createPayerEligibilityConnector(transport: Transport): PayerEligibilityConnector {
  return {
    kind: 'payer_eligibility',
    call(request: ConnectorCall<EligibilityPayload>): Promise<ConnectorOutcome<EligibilityAnswer>> {
      return transport.call<EligibilityAnswer>({
        connector: 'payer_eligibility',
        tenantId: request.tenantId,
        signal: request.signal,
        prepare(mapping) {
          const parsed = eligibilityPayloadSchema.safeParse(request.payload);
          if (!parsed.success) return invalidPayload('payer_eligibility', parsed.error);
          const payload = parsed.data;
          const provider = providerIdentification(mapping, payload.provider);
          if (!provider) return { refuse: { code: 'invalid_payload', message: 'payer_eligibility: the tenant sends the provider’s tax id, and payload.provider.taxId is missing' } };
          const payerId = directoryPayerId(mapping, payload.payerId);
          const inquiry: EligibilityInquiry = {
            transactionSet: '270',
            controlNumber: request.idempotencyKey,
            informationSource: { payerId },
            informationReceiver: provider,
            subscriber: {
              memberId: payload.memberId,
              firstName: payload.patient.givenName,
              lastName: payload.patient.familyName,
              birthDate: x12DateOf(payload.patient.birthDate),
            },
            serviceTypeCodes: [...mapping.fieldMap.serviceTypeCodes],
            serviceDate: x12DateOf(payload.serviceDate),
          };
          return { method: 'POST', path: `/payers/${segment(payerId)}/eligibility`, body: inquiry, idempotencyKey: request.idempotencyKey };
        },
        interpret(answer, mapping) {
          const read = readBody('payer_eligibility', eligibilityResponseSchema, answer.body);
          return 'verdict' in read ? read.verdict : readEligibility(read.data, mapping.fieldMap.serviceTypeCodes);
        },
      });
    },
  };
}
