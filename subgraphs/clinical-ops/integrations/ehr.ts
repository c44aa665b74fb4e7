/**
 * The EHR (FHIR R4, wire.ts): reads a Patient, Appointment or Coverage by id, and creates one
 * with the call's `Idempotency-Key` (the EHR answers the same key with the resource it created
 * first). The answer is checked to be the resource asked for — its type, and for a read its id —
 * and passed on whole: what a workflow does with a FHIR resource is its own business.
 *
 * A read of an id the EHR does not have is `rejected: not_found` (a 404, like every 4xx).
 */
import { z } from 'zod';
import type { Connector, ConnectorCall, ConnectorOutcome } from './contract.js';
import { invalidPayload, readBody, segment, type Transport } from './transport.js';
import { FHIR_RESOURCE_TYPES, fhirIdSchema, fhirResourceSchema, type FhirResourceType } from './wire.js';

/** A resource body as large as a create may send (bytes of JSON). */
const MAX_RESOURCE_BYTES = 64 * 1024;

export const ehrRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('read'), resourceType: z.enum(FHIR_RESOURCE_TYPES), id: fhirIdSchema }),
  z.object({
    action: z.literal('create'),
    resource: z.looseObject({ resourceType: z.enum(FHIR_RESOURCE_TYPES) }),
  }),
]);

/** What an EHR call asks: read a resource by id, or create one (its `id`, if any, is the EHR's to give and not sent). */
export type EhrRequest =
  | { action: 'read'; resourceType: FhirResourceType; id: string }
  | { action: 'create'; resource: { resourceType: FhirResourceType; [field: string]: unknown } };

/** A FHIR resource as the EHR answered it: its type and id, and every other field as sent. */
export interface FhirResource {
  resourceType: FhirResourceType;
  id: string;
  [field: string]: unknown;
}

export type EhrConnector = Connector<EhrRequest, FhirResource>;

/** `…/Patient/123` or `…/Patient/123/_history/1` (a create's Location) → `123`. */
function idFromLocation(location: string | null, type: FhirResourceType): string | null {
  const match = location && new RegExp(`/${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?/?$`).exec(location);
  return match ? match[1]! : null;
}

/** The EHR connector over `transport`. */
export function createEhrConnector(transport: Transport): EhrConnector {
  return {
    kind: 'ehr',
    call(request: ConnectorCall<EhrRequest>): Promise<ConnectorOutcome<FhirResource>> {
      const parsed = ehrRequestSchema.safeParse(request.payload);
      const type = parsed.success ? (parsed.data.action === 'read' ? parsed.data.resourceType : parsed.data.resource.resourceType) : 'Patient';
      return transport.call<FhirResource>({
        connector: 'ehr',
        tenantId: request.tenantId,
        signal: request.signal,
        prepare() {
          if (!parsed.success) return invalidPayload('ehr', parsed.error);
          const payload = parsed.data;
          if (payload.action === 'read') return { method: 'GET', path: `/ehr/fhir/${type}/${segment(payload.id)}` };
          const { id: _ignored, ...resource } = payload.resource;
          if (Buffer.byteLength(JSON.stringify(resource)) > MAX_RESOURCE_BYTES) {
            return { refuse: { code: 'invalid_payload', message: `ehr: payload.resource is larger than ${MAX_RESOURCE_BYTES} bytes` } };
          }
          return {
            method: 'POST',
            path: `/ehr/fhir/${type}`,
            body: resource,
            idempotencyKey: request.idempotencyKey,
            headers: { prefer: 'return=representation' },
          };
        },
        interpret(answer) {
          const payload = parsed.success ? parsed.data : undefined;
          // A create may answer with its Location only.
          if (payload?.action === 'create' && answer.body === undefined) {
            const id = idFromLocation(answer.headers.get('location'), type);
            if (id) return { kind: 'accepted', body: { ...payload.resource, resourceType: type, id } };
          }
          const read = readBody('ehr', fhirResourceSchema, answer.body);
          if ('verdict' in read) return read.verdict;
          if (read.data.resourceType !== type || (payload?.action === 'read' && read.data.id !== payload.id)) {
            return { kind: 'retryable', reason: 'malformed_response', message: `ehr answered another resource than the ${type} asked for` };
          }
          return { kind: 'accepted', body: read.data };
        },
      });
    },
  };
}
