/** Every field of the supergraph carries a policy decision, and patient data is @phi. */
import { describe, expect, it } from 'vitest';
import { readCommittedSupergraph } from '../federation/compose.js';
import { formatCoverage, policyCoverage, readReviewedFields } from './coverage.js';

describe('policy coverage of the committed supergraph', () => {
  const report = policyCoverage(readCommittedSupergraph(), readReviewedFields());

  it('has a policy directive or a reviewed entry with a reason for every field', () => {
    expect(report.uncovered, formatCoverage(report)).toEqual([]);
  });

  it('marks every field that looks like patient data @phi (or says why it is not)', () => {
    expect(report.suspectedPhi, formatCoverage(report)).toEqual([]);
  });

  it('has no stale review entries', () => {
    expect(report.stale, formatCoverage(report)).toEqual([]);
  });

  it('protects the patient identity and every appointment detail with @phi', () => {
    expect(report.byKind.phi).toBeGreaterThanOrEqual(11);
  });
});

describe('policyCoverage', () => {
  // A two-graph supergraph in miniature: join__type says which subgraph owns a type.
  const sdl = /* GraphQL */ `
    directive @join__type(graph: join__Graph!) repeatable on OBJECT
    directive @join__field(graph: join__Graph) on FIELD_DEFINITION
    directive @phi on FIELD_DEFINITION
    directive @scopes(anyOf: [[String!]!]!) on FIELD_DEFINITION | OBJECT
    enum join__Graph { CLINICAL_OPS TENANCY }
    type Query @join__type(graph: CLINICAL_OPS) @join__type(graph: TENANCY) {
      visits: [Visit!]! @join__field(graph: CLINICAL_OPS) @scopes(anyOf: [["clinical:read"]])
      clinics: [Clinic!]! @join__field(graph: TENANCY) @scopes(anyOf: [["tenant:read"]])
    }
    type Visit @join__type(graph: CLINICAL_OPS) { id: ID! startsAt: String! notes: String @phi }
    type Clinic @join__type(graph: TENANCY) { id: ID! name: String! ownerBirthDate: String }
  `;

  it('reports fields with no decision, patient-like fields without @phi, and stale entries', () => {
    const report = policyCoverage(sdl, {
      public: { 'Visit.id': 'opaque id of a visit', 'Clinic.id': 'opaque id of a clinic', 'Query.visits': 'has a directive', 'Clinic.gone': 'no longer exists' },
      notPhi: { 'Visit.notes': 'stale: it is @phi' },
    });
    expect(report.uncovered.sort()).toEqual(['Clinic.name', 'Clinic.ownerBirthDate', 'Visit.startsAt']);
    // A time on a clinical type, and a birth date anywhere; a clinic's name is not patient data.
    expect(report.suspectedPhi.sort()).toEqual(['Clinic.ownerBirthDate', 'Visit.startsAt']);
    expect(report.stale).toEqual([
      'public: Query.visits has a policy directive now',
      'notPhi: Visit.notes is @phi',
      'Clinic.gone is not a field of the supergraph',
    ]);
    expect(report.byKind).toEqual({ phi: 1, entitled: 0, scopes: 2, public: 2 });
  });

  it('accepts a reviewed reason for a patient-like field that is not PHI', () => {
    const report = policyCoverage(sdl, {
      public: { 'Visit.id': 'opaque id of a visit', 'Clinic.id': 'opaque id of a clinic', 'Clinic.name': 'clinic display name', 'Visit.startsAt': 'x', 'Clinic.ownerBirthDate': 'never set by anyone' },
      notPhi: { 'Visit.startsAt': 'a scheduling slot, not tied to a person', 'Clinic.ownerBirthDate': 'a business owner, not a patient' },
    });
    expect(report.uncovered).toEqual([]);
    expect(report.suspectedPhi).toEqual([]);
    expect(report.stale).toEqual(['Visit.startsAt needs a one-line reason']);
  });
});
