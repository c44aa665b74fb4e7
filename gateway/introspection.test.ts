import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { POLICY_DIRECTIVES_SDL } from '../lib/policy/spec.js';
import { FieldPolicies } from './field-policies.js';
import { Introspection, isIntrospectionOnly } from './introspection.js';
import { hashQuery } from './operation-check.js';

const SDL = /* GraphQL */ `
  ${POLICY_DIRECTIVES_SDL}
  type Query { patients: [Patient!]! @scopes(anyOf: [["clinical:read"]]) invoices: [Invoice!]! @scopes(anyOf: [["billing:read"]]) }
  type Mutation { issue: Boolean @scopes(anyOf: [["keys:manage"]]) }
  type Patient { id: ID! name: String @phi forecast: Int @entitled(feature: "advanced_analytics") }
  type Invoice { id: ID! totalMinor: Int }
`;
const policies = new FieldPolicies(SDL);
const checked = (query: string) => {
  const result = policies.check(query, undefined, {});
  if ('errors' in result) throw new Error(JSON.stringify(result.errors));
  return result;
};

describe('isIntrospectionOnly', () => {
  it('is true for __schema / __type at the root, through fragments, with __typename beside them', () => {
    expect(isIntrospectionOnly(checked('{ __schema { queryType { name } } }'))).toBe(true);
    expect(isIntrospectionOnly(checked('{ __typename ... on Query { __type(name: "Patient") { name } } }'))).toBe(true);
    expect(isIntrospectionOnly(checked('query Q { ...F } fragment F on Query { __schema { types { name } } __typename }'))).toBe(true);
    expect(isIntrospectionOnly(checked(getIntrospectionQuery()))).toBe(true);
  });
  it('is false for data, for introspection mixed with data, and for __typename alone', () => {
    expect(isIntrospectionOnly(checked('{ invoices { id } }'))).toBe(false);
    expect(isIntrospectionOnly(checked('{ __schema { types { name } } invoices { id } }'))).toBe(false);
    expect(isIntrospectionOnly(checked('query Q { ...F } fragment F on Query { __type(name: "X") { name } patients { id } }'))).toBe(false);
    expect(isIntrospectionOnly(checked('{ __typename }'))).toBe(false);
  });
});

describe('Introspection', () => {
  const introspection = new Introspection(policies.schema, policies.policies);
  const fieldsOf = (query: string, viewer: { roles: string[]; scopes: string[]; readOnly?: boolean }) => {
    const result = introspection.answer(checked(query), hashQuery(query), viewer) as {
      data: { __schema: { types: { name: string; fields: { name: string; description: string | null }[] | null }[]; mutationType: { name: string } | null } };
    };
    return result.data.__schema;
  };
  const QUERY = '{ __schema { mutationType { name } types { name fields { name description } } } }';

  it("answers from the caller's view: no PHI for an analyst, no billing for a clinician, no mutation for a read-only key", () => {
    const analyst = fieldsOf(QUERY, { roles: ['analyst'], scopes: ['clinical:read', 'billing:read'] });
    expect(analyst.types.find((type) => type.name === 'Patient')!.fields!.map((field) => field.name)).toEqual(['id', 'forecast']);
    const clinician = fieldsOf(QUERY, { roles: ['clinician'], scopes: ['clinical:read', 'phi:read'] });
    expect(clinician.types.find((type) => type.name === 'Patient')!.fields!.map((field) => field.name)).toEqual(['id', 'name', 'forecast']);
    expect(clinician.types.map((type) => type.name)).not.toContain('Invoice');
    expect(clinician.mutationType).toBeNull();
    const admin = fieldsOf(QUERY, { roles: ['platform_admin'], scopes: ['keys:manage', 'billing:read'] });
    expect(admin.mutationType).toEqual({ name: 'Mutation' });
    expect(fieldsOf(QUERY, { roles: [], scopes: ['keys:manage', 'billing:read'], readOnly: true }).mutationType).toBeNull();
  });

  it('states the feature an entitlement-gated field needs', () => {
    const view = fieldsOf(QUERY, { roles: ['analyst'], scopes: ['clinical:read'] });
    expect(view.types.find((type) => type.name === 'Patient')!.fields!.find((field) => field.name === 'forecast')!.description).toMatch(/`advanced_analytics`/);
  });

  it('keeps one view per (roles, scopes) and one answer per (view, document)', () => {
    const viewer = { roles: ['biller'], scopes: ['billing:read'] };
    expect(introspection.viewOf(viewer)).toBe(introspection.viewOf({ roles: ['biller'], scopes: ['billing:read', 'billing:read'] }));
    const first = introspection.answer(checked(QUERY), hashQuery(QUERY), viewer);
    expect(introspection.answer(checked(QUERY), hashQuery(QUERY), viewer)).toBe(first);
  });
});
