/**
 * The pre-planning walk on a schema with interfaces and unions: removal follows the type a
 * field is read from, fragments are inlined, nulls land on the nearest nullable position.
 */
import { describe, expect, it } from 'vitest';
import { POLICY_DIRECTIVES_SDL } from '../lib/policy/spec.js';
import type { TenantContext } from '../lib/tenant-context.js';
import { applyPolicyPlan, FieldPolicies } from './field-policies.js';

const SDL = /* GraphQL */ `
  ${POLICY_DIRECTIVES_SDL}
  type Query { search: [Result!]! node(id: ID!): Node record: Record }
  interface Node { id: ID! audit: String @scopes(anyOf: [["auditor"]]) }
  union Result = Patient | Invoice
  type Patient implements Node { id: ID! audit: String name: String! @phi email: String @phi }
  type Invoice implements Node { id: ID! audit: String totalMinor: Int @scopes(anyOf: [["billing:read"]]) forecast: Int @entitled(feature: "advanced_analytics") }
  type Record { id: ID! secret: String! @scopes(anyOf: [["admin"], ["auditor", "billing:read"]]) }
`;

const caller = (overrides: Partial<TenantContext> = {}): TenantContext => ({
  requestId: 'r',
  access: 'tenant',
  tenantId: '00000000-0000-4000-8000-000000000001',
  principal: { id: 'u', kind: 'user' },
  roles: ['analyst'],
  scopes: [],
  entitlements: [],
  ...overrides,
});

const policies = new FieldPolicies(SDL);

describe('FieldPolicies.plan', () => {
  it('leaves an allowed query untouched (same text, so plans stay cached)', () => {
    const query = '{ search { ... on Patient { id } } }';
    expect(policies.plan(query, undefined, {}, caller())).toEqual({ query, removals: [], placeholders: [], refused: false });
  });

  it('removes fields inside inline fragments on a union, judged by the member type', () => {
    const plan = policies.plan('{ search { ... on Patient { id email } ... on Invoice { id totalMinor } } }', undefined, {}, caller());
    expect(plan.query).not.toContain('email');
    expect(plan.query).not.toContain('totalMinor');
    expect(plan.removals.map((r) => [r.path.join('.'), r.denial.code])).toEqual([
      ['search.email', 'PHI_ACCESS_DENIED'],
      ['search.totalMinor', 'INSUFFICIENT_SCOPE'],
    ]);
  });

  it('inlines named fragments on an interface, keeping aliases', () => {
    const plan = policies.plan(
      'query Q($id: ID!) { n: node(id: $id) { ...N } } fragment N on Node { id ... on Patient { who: name } }',
      'Q',
      { id: '1' },
      caller(),
    );
    expect(plan.query).not.toContain('fragment');
    expect(plan.query).not.toContain('name');
    // name is non-null: its null lands on the nullable `n`.
    expect(plan.removals[0]).toMatchObject({ path: ['n', 'who'], nullPath: ['n'] });
  });

  it('applies a policy declared on an interface field to reads through the interface', () => {
    const plan = policies.plan('{ node(id: "1") { id audit } }', undefined, {}, caller());
    expect(plan.removals.map((r) => [r.path.join('.'), r.denial.code])).toEqual([['node.audit', 'INSUFFICIENT_SCOPE']]);
  });

  it('honours OR-of-AND scopes', () => {
    const query = '{ record { id secret } }';
    expect(policies.plan(query, undefined, {}, caller({ scopes: ['auditor'] })).removals).toHaveLength(1);
    expect(policies.plan(query, undefined, {}, caller({ scopes: ['auditor', 'billing:read'] })).removals).toHaveLength(0);
    expect(policies.plan(query, undefined, {}, caller({ scopes: ['admin'] })).removals).toHaveLength(0);
  });

  it('gates entitlements inside a tenant only', () => {
    const query = '{ search { ... on Invoice { forecast } } }';
    expect(policies.plan(query, undefined, {}, caller()).removals[0]?.denial.code).toBe('ENTITLEMENT_REQUIRED');
    expect(policies.plan(query, undefined, {}, caller({ access: 'platform', tenantId: null })).removals).toHaveLength(0);
  });

  it('evaluates @skip/@include with the variables, and drops unused variable definitions', () => {
    const query = 'query Q($show: Boolean!, $id: ID!) { node(id: $id) { id } record @include(if: $show) { secret } }';
    expect(policies.plan(query, 'Q', { show: false, id: '1' }, caller()).removals).toHaveLength(0);
    const shown = policies.plan(query, 'Q', { show: true, id: '1' }, caller());
    expect(shown.removals).toHaveLength(1);
    expect(shown.query).toContain('__caregraph_placeholder: __typename');
    const onlyRecord = policies.plan('query Q($id: ID!) { record { secret } }', 'Q', { id: '1' }, caller());
    expect(onlyRecord.query).not.toContain('$id');
  });

  it('refuses an operation with nothing left', () => {
    expect(policies.plan('{ record { secret } }', undefined, {}, caller()).refused).toBe(false);
    expect(policies.plan('{ search { ... on Patient { email } } }', undefined, {}, caller()).refused).toBe(false);
    const plan = new FieldPolicies(SDL + '\n extend type Query { only: String @phi }').plan('{ only }', undefined, {}, caller());
    expect(plan.refused).toBe(true);
  });
});

describe('applyPolicyPlan', () => {
  it('puts nulls back, one error per list item, and removes placeholders', () => {
    const plan = policies.plan('{ search { ... on Invoice { id totalMinor } } record { secret } }', undefined, {}, caller());
    const result = applyPolicyPlan(
      { data: { search: [{ id: 'i1' }, { id: 'i2' }], record: { __caregraph_placeholder: 'Record' } } },
      plan,
    );
    expect(result.data).toEqual({ search: [{ id: 'i1', totalMinor: null }, { id: 'i2', totalMinor: null }], record: null });
    expect((result.errors as { path: unknown[] }[]).map((e) => e.path)).toEqual([
      ['search', 0, 'totalMinor'],
      ['search', 1, 'totalMinor'],
      ['record', 'secret'],
    ]);
  });
});
