/**
 * The pharmacy: where a prescription stands (`GET /pharmacy/prescriptions/{id}`). An id the
 * pharmacy does not know is `rejected: not_found`; an answer about another prescription than the
 * one asked for is `retryable: malformed_response`.
 */
import { z } from 'zod';
import type { Connector, ConnectorCall, ConnectorOutcome } from './contract.js';
import { invalidPayload, readBody, segment, type Transport } from './transport.js';
import { prescriptionAnswerSchema, type PRESCRIPTION_STATUSES } from './wire.js';

export const prescriptionPayloadSchema = z.object({ prescriptionId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) });
/** Which prescription. */
export type PrescriptionPayload = z.infer<typeof prescriptionPayloadSchema>;

export type PrescriptionState = (typeof PRESCRIPTION_STATUSES)[number];

/** Where the prescription stands at the pharmacy. */
export interface PrescriptionStatus {
  prescriptionId: string;
  status: PrescriptionState;
}

export type PharmacyConnector = Connector<PrescriptionPayload, PrescriptionStatus>;

/** The pharmacy connector over `transport`. */
export function createPharmacyConnector(transport: Transport): PharmacyConnector {
  return {
    kind: 'pharmacy',
    call(request: ConnectorCall<PrescriptionPayload>): Promise<ConnectorOutcome<PrescriptionStatus>> {
      const parsed = prescriptionPayloadSchema.safeParse(request.payload);
      return transport.call<PrescriptionStatus>({
        connector: 'pharmacy',
        tenantId: request.tenantId,
        signal: request.signal,
        prepare() {
          if (!parsed.success) return invalidPayload('pharmacy', parsed.error);
          return { method: 'GET', path: `/pharmacy/prescriptions/${segment(parsed.data.prescriptionId)}` };
        },
        interpret(answer) {
          const read = readBody('pharmacy', prescriptionAnswerSchema, answer.body);
          if ('verdict' in read) return read.verdict;
          if (!parsed.success || read.data.id !== parsed.data.prescriptionId) {
            return { kind: 'retryable', reason: 'malformed_response', message: 'pharmacy answered about another prescription than the one asked for' };
          }
          return { kind: 'accepted', body: { prescriptionId: read.data.id, status: read.data.status } };
        },
      });
    },
  };
}
