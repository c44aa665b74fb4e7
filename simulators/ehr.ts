/**
 * An EHR's FHIR R4 REST API, for the three resource types the platform exchanges.
 *
 *   GET  /ehr/fhir/{type}/{id}    read: 200 the resource, or 404
 *   POST /ehr/fhir/{type}         create, header Idempotency-Key: 201 the resource with its new id and meta, Location
 *
 * {type} is Patient, Appointment or Coverage. The EHR is pre-populated, deterministically: any id
 * reads as a synthetic resource drawn from the seed and the id (no real person), except ids
 * ending in "0000", which do not exist (404). Created resources are kept in memory and read
 * back as created.
 */
import { z } from 'zod';
import { BadUserInputError, NotFoundError } from '../lib/errors.js';
import { drawsFor, idFrom, pick, type Draws } from './random.js';
import { parseWith, pathParam, type SimulatedSystem, type SystemContext } from './system.js';

export const FHIR_TYPES = ['Patient', 'Appointment', 'Coverage'] as const;
export type FhirType = (typeof FHIR_TYPES)[number];

/** FHIR's id datatype. */
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/;
const FHIR_CONTENT = { 'content-type': 'application/fhir+json; charset=utf-8' } as const;

const reference = z.object({ reference: z.string().min(1).max(200) });
/** What a create must carry beyond its resourceType: the elements FHIR R4 makes mandatory (1..1, 1..*). Others pass as sent. */
const REQUIRED: Record<FhirType, z.ZodObject> = {
  Patient: z.object({}),
  Appointment: z.object({
    status: z.enum(['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist']),
    participant: z.array(z.object({ status: z.enum(['accepted', 'declined', 'tentative', 'needs-action']) })).min(1),
  }),
  Coverage: z.object({
    status: z.enum(['active', 'cancelled', 'draft', 'entered-in-error']),
    beneficiary: reference,
    payor: z.array(reference.or(z.object({ display: z.string().min(1) }))).min(1),
  }),
};

function typeOf(params: Readonly<Record<string, string>>): FhirType {
  const type = params.type ?? '';
  if (!(FHIR_TYPES as readonly string[]).includes(type)) throw new BadUserInputError(`type must be one of ${FHIR_TYPES.join(', ')}`);
  return type as FhirType;
}

const GIVEN = ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie'] as const;
const FAMILY = ['Rivera', 'Chen', 'Okafor', 'Novak', 'Haddad', 'Silva', 'Kowalski', 'Mensah'] as const;
const META = { versionId: '1', lastUpdated: '2025-01-01T00:00:00.000Z' } as const;

const day = (draws: Draws, fromYear: number, years: number) =>
  new Date(Date.UTC(fromYear, 0, 1) + Math.floor(draws() * years * 365) * 86_400_000).toISOString().slice(0, 10);

/** The resource the EHR holds under an id it was never given: synthetic, and the same on every run. */
export function syntheticResource(seed: number, type: FhirType, id: string): Record<string, unknown> {
  const draws = drawsFor(seed, 'ehr', type, id);
  const patient = `Patient/${idFrom(draws, 10).toLowerCase()}`;
  switch (type) {
    case 'Patient':
      return {
        resourceType: type, id, meta: META,
        name: [{ family: pick(draws, FAMILY), given: [pick(draws, GIVEN)] }],
        gender: pick(draws, ['female', 'male', 'other', 'unknown'] as const),
        birthDate: day(draws, 1940, 65),
      };
    case 'Appointment': {
      const start = `${day(draws, 2025, 1)}T${String(8 + Math.floor(draws() * 9)).padStart(2, '0')}:00:00Z`;
      const end = new Date(Date.parse(start) + 30 * 60_000).toISOString().replace('.000', '');
      return { resourceType: type, id, meta: META, status: 'booked', start, end, participant: [{ actor: { reference: patient }, status: 'accepted' }] };
    }
    case 'Coverage':
      return { resourceType: type, id, meta: META, status: 'active', beneficiary: { reference: patient }, payor: [{ display: pick(draws, ['Acme Health', 'Northwind Mutual', 'Contoso Care'] as const) }] };
  }
}

function read(context: SystemContext, type: FhirType, id: string): Record<string, unknown> {
  const created = context.records.get(`${type}/${id}`) as Record<string, unknown> | undefined;
  if (created) return created;
  if (id.endsWith('0000')) throw new NotFoundError(`${type}/${id} is not known to this EHR`);
  return syntheticResource(context.seed, type, id);
}

export const ehr: SimulatedSystem = {
  name: 'ehr',
  routes: [
    {
      method: 'GET',
      path: '/ehr/fhir/:type/:id',
      accept({ params }) {
        const type = typeOf(params);
        const id = pathParam(params, 'id', FHIR_ID, 'a FHIR id (1–64 letters, digits, hyphens and dots)');
        return { identity: `${type}/${id}`, answer: (context) => ({ status: 200, body: read(context, type, id), headers: FHIR_CONTENT }) };
      },
    },
    {
      method: 'POST',
      path: '/ehr/fhir/:type',
      idempotent: true,
      accept({ params, body, key }) {
        const type = typeOf(params);
        const resource = parseWith(z.looseObject({ resourceType: z.literal(type) }), body, `Invalid ${type}`);
        parseWith(REQUIRED[type], resource, `Invalid ${type}`);
        return {
          scope: type,
          answer(context) {
            // The id is the EHR's, drawn from the key: the same create always names the same resource.
            const id = `sim-${idFrom(drawsFor(context.seed, 'ehr', type, key), 12).toLowerCase()}`;
            const created = { ...resource, id, meta: { versionId: '1', lastUpdated: new Date(context.now()).toISOString() } };
            context.records.set(`${type}/${id}`, created);
            return { status: 201, body: created, headers: { ...FHIR_CONTENT, location: `/ehr/fhir/${type}/${id}/_history/1` } };
          },
        };
      },
    },
  ],
};
