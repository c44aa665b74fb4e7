/**
 * The identifier systems and code systems the FHIR mappings use, in one place. HL7's where one
 * exists (NPI, v2 identifier types, subscriber relationships, coverage classes, claim types);
 * the platform's own under https://caregraph.dev/fhir/ where the value is the platform's (MRNs
 * are unique per tenant, so the tenant is part of their system).
 */
export const FHIR_BASE = 'https://caregraph.dev/fhir/R4';

export const SYSTEMS = {
  npi: 'http://hl7.org/fhir/sid/us-npi',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  subscriberRelationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  coverageClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  processPriority: 'http://terminology.hl7.org/CodeSystem/processpriority',
  cpt: 'http://www.ama-assn.org/go/cpt',
  /** The payer directory's ids (acme-health, medicare-sim …). */
  payer: 'https://caregraph.dev/fhir/sid/payer',
  /** The platform's own record ids (claims, appointments). */
  recordId: 'https://caregraph.dev/fhir/sid/record-id',
  /** The claim number a payer assigned on acceptance. */
  payerClaimId: 'https://caregraph.dev/fhir/sid/payer-claim-id',
} as const;

/** A tenant's MRNs: unique within the tenant only, so the tenant names the system. */
export const mrnSystem = (tenantId: string): string => `https://caregraph.dev/fhir/sid/mrn/${tenantId}`;

/** A payer's member ids. */
export const memberIdSystem = (payerId: string): string => `https://caregraph.dev/fhir/sid/member-id/${payerId}`;

/** The full URL of a resource in an export (the Bundle's `fullUrl`): FHIR_BASE/Type/id. */
export const fullUrlOf = (resourceType: string, id: string): string => `${FHIR_BASE}/${resourceType}/${id}`;
