import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { unavailableFieldErrors } from './unavailable-fields.js';

const error = { message: 'unavailable', extensions: { code: 'SUBGRAPH_UNAVAILABLE', requestId: 'req-1' } };
const at = (path: (string | number)[], occurrences?: number) => ({
  message: 'unavailable',
  path,
  extensions: { code: 'SUBGRAPH_UNAVAILABLE', requestId: 'req-1', ...(occurrences ? { occurrences } : {}) },
});

describe('unavailableFieldErrors', () => {
  it('points a root fetch at each root field, by its alias', () => {
    const document = parse('query Q__tenancy__0 { tenants(first: 2) { edges { node { id } } } me: tenant(id: "x") { id } __typename }');
    expect(unavailableFieldErrors(document, undefined, error)).toEqual([at(['tenants']), at(['me'])]);
  });

  it('points an entity fetch at the first entity that lacks each field, counting the others', () => {
    const document = parse(`query Q__ops__1($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Tenant { __typename clinicalSummary { patientCount } load: workload { depth } } }
    }`);
    const representations = [{ __typename: 'Tenant', id: 'a' }, { __typename: 'Tenant', id: 'b' }, { __typename: 'Tenant', id: 'c' }];
    expect(unavailableFieldErrors(document, representations, error)).toEqual([at(['_entities', 0, 'clinicalSummary'], 3), at(['_entities', 0, 'load'], 3)]);
  });

  it('tells the entities of each type apart, and reads fields through named fragments', () => {
    const document = parse(`query Q($representations: [_Any!]!) {
      _entities(representations: $representations) { ...OnPatient ... on Tenant { health { requestCount } } }
    }
    fragment OnPatient on Patient { appointments { id } }`);
    const representations = [{ __typename: 'Tenant' }, { __typename: 'Patient' }, { __typename: 'Patient' }];
    expect(unavailableFieldErrors(document, representations, error)).toEqual([at(['_entities', 1, 'appointments'], 2), at(['_entities', 0, 'health'])]);
  });

  it('falls back to one error for the whole fetch when there is no field to point at', () => {
    expect(unavailableFieldErrors(parse('fragment F on T { a }'), undefined, error)).toEqual([{ message: 'unavailable', extensions: error.extensions }]);
  });
});
