/**
 * The pre-planning walk on a schema with interfaces and unions: removal follows the type a
 * field is read from, each fragment is judged once and kept, nulls land on the nearest
 * nullable position, and operations are checked (validity, limits, variables) first.
 */
import { buildASTSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { POLICY_DIRECTIVES_SDL } from '../lib/policy/spec.js';
import type { TenantContext } from '../lib/tenant-context.js';
import { applyPolicyPlan, FieldPolicies, MAX_POLICY_ERRORS, type PolicyPlan } from './field-policies.js';
import { OPERATION_LIMITS } from './operation-check.js';

const SDL = /* GraphQL */ `
  ${POLICY_DIRECTIVES_SDL}
  type Query { search: [Result!]! node(id: ID!): Node record: Record }
  interface Node { id: ID! audit: String @scopes(anyOf: [["auditor"]]) }
  union Result = Patient | Invoice
  type Patient implements Node { id: ID! audit: String name: String! @phi email: String @phi }
  type Invoice implements Node { id: ID! audit: String totalMinor: Int @scopes(anyOf: [["billing:read"]]) forecast: Int @entitled(feature: "advanced_analytics") }
  type Record {
    id: ID!
    secret: String! @scopes(anyOf: [["admin"], ["auditor", "billing:read"]])
    note: String @scopes(anyOf: [["auditor"]])
    parent: Record
    children: [Record!]!
  }
`;
const schema = buildASTSchema(parse(SDL), { assumeValidSDL: true });

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

/** The rewritten query must itself be a valid operation. */
function expectValid(plan: PolicyPlan): void {
  expect(validate(schema, parse(plan.query)).map((e) => e.message)).toEqual([]);
}

const codeOf = (plan: PolicyPlan) => plan.rejection?.errors[0]?.extensions?.code;

/** F0 spreads F1 twice, F1 spreads F2 twice, …: 2^levels copies of the last fragment. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query Bomb { ...F0 }\n${fragments.join('\n')}\nfragment F${levels} on Query { record { id secret } }`;
}

describe('FieldPolicies.plan', () => {
  it('leaves an allowed query untouched (same text, so plans stay cached)', () => {
    const query = '{ search { ... on Patient { id } } }';
    expect(policies.plan(query, undefined, {}, caller())).toEqual({ query, removals: [], refused: false });
  });

  it('removes fields inside inline fragments on a union, judged by the member type', () => {
    const plan = policies.plan('{ search { ... on Patient { id email } ... on Invoice { id totalMinor } } }', undefined, {}, caller());
    expect(plan.query).not.toContain('email');
    expect(plan.query).not.toContain('totalMinor');
    expect(plan.removals.map((r) => [r.path.join('.'), r.denial.code])).toEqual([
      ['search.email', 'PHI_ACCESS_DENIED'],
      ['search.totalMinor', 'INSUFFICIENT_SCOPE'],
    ]);
    expectValid(plan);
  });

  it('judges a named fragment once by its type condition and keeps it, pruned, keeping aliases', () => {
    const plan = policies.plan(
      'query Q($id: ID!) { n: node(id: $id) { ...N } } fragment N on Node { id ... on Patient { who: name } }',
      'Q',
      { id: '1' },
      caller(),
    );
    expect(plan.query).toContain('fragment N on Node');
    expect(plan.query).not.toMatch(/\bname\b/);
    // name is non-null: its null lands on the nullable `n`.
    expect(plan.removals[0]).toMatchObject({ path: ['n', 'who'], nullPath: ['n'] });
    expectValid(plan);
  });

  it('drops spreads of fragments left empty, and fragments no longer spread', () => {
    const plan = policies.plan('{ record { id ...S } } fragment S on Record { secret }', undefined, {}, caller());
    expect(plan.query).not.toContain('fragment');
    expect(plan.query).not.toContain('secret');
    expectValid(plan);
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
    const onlyRecord = policies.plan('query Q($show: Boolean!) { record { id secret @include(if: $show) } }', 'Q', { show: true }, caller());
    expect(onlyRecord.query).not.toContain('$show');
    expectValid(onlyRecord);
  });

  it('applies variable defaults: an omitted $v = true includes the PHI field, which is removed', () => {
    const query = 'query Q($v: Boolean = true) { search { ... on Patient { id email @include(if: $v) } } }';
    const plan = policies.plan(query, 'Q', undefined, caller());
    expect(plan.query).not.toContain('email');
    expect(plan.removals.map((r) => [r.path.join('.'), r.denial.code])).toEqual([['search.email', 'PHI_ACCESS_DENIED']]);
    // The same text with $v given as false is another plan, and reports nothing.
    expect(policies.plan(query, 'Q', { v: false }, caller()).removals).toEqual([]);
  });

  it('refuses an operation with nothing left', () => {
    expect(policies.plan('{ record { secret } }', undefined, {}, caller()).refused).toBe(false);
    expect(policies.plan('{ search { ... on Patient { email } } }', undefined, {}, caller()).refused).toBe(false);
    const plan = new FieldPolicies(SDL + '\n extend type Query { only: String @phi }').plan('{ only }', undefined, {}, caller());
    expect(plan.refused).toBe(true);
  });

  it('removes introspection from an operation that also reads data, for everyone; keeps __typename', () => {
    // Introspection on its own is answered from the caller's view (gateway/introspection.ts) and never walked.
    for (const who of [caller({ roles: ['biller'] }), caller({ access: 'platform', tenantId: null, roles: ['platform_admin'] })]) {
      const mixed = policies.plan('{ __typename __type(name: "Record") { name } record { id } }', undefined, {}, who);
      expect(mixed.query).not.toContain('__type(');
      expect(mixed.query).toContain('__typename');
      expect(mixed.removals.map((r) => [r.path.join('.'), r.denial.code])).toEqual([['__type', 'INTROSPECTION_DISABLED']]);
    }
  });
});

describe('operation checks', () => {
  it('refuses a fragment bomb (18 and 30 levels) as OPERATION_TOO_LARGE without expanding it', () => {
    for (const levels of [18, 30]) {
      const plan = policies.plan(fragmentBomb(levels), undefined, {}, caller());
      expect(codeOf(plan)).toBe('OPERATION_TOO_LARGE');
      expect(plan.rejection?.status).toBe(400);
    }
  });

  it('walks a bomb just under the limit into a rewritten query linear in its input', () => {
    const levels = Math.floor(Math.log2(OPERATION_LIMITS.maxFields / 3));
    const query = fragmentBomb(levels);
    const plan = policies.plan(query, undefined, {}, caller());
    expect(plan.rejection).toBeUndefined();
    expect(plan.removals.map((r) => r.path.join('.'))).toEqual(['record.secret']);
    expect(plan.query.match(/^fragment /gm)).toHaveLength(levels + 1);
    expect(plan.query.length).toBeLessThan(query.length * 3);
    expectValid(plan);
    // Every copy of the record lands on one position: one error, counted once.
    const result = applyPolicyPlan({ data: { record: { id: 'r1' } } }, plan);
    expect(result.data).toEqual({ record: null });
    expect(result.errors).toEqual([{ message: expect.any(String), path: ['record', 'secret'], extensions: { code: 'INSUFFICIENT_SCOPE' } }]);
  });

  it('refuses an operation nested deeper than the limit as OPERATION_TOO_DEEP', () => {
    const nested = (levels: number) => `{ record { ${'parent { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;
    expect(codeOf(policies.plan(nested(OPERATION_LIMITS.maxDepth), undefined, {}, caller()))).toBeUndefined();
    expect(codeOf(policies.plan(nested(OPERATION_LIMITS.maxDepth + 1), undefined, {}, caller()))).toBe('OPERATION_TOO_DEEP');
  });

  it('answers an invalid operation with its validation errors, and bad variables with BAD_USER_INPUT', () => {
    const invalid = policies.plan('{ record { secrt } }', undefined, {}, caller());
    expect(codeOf(invalid)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(invalid.rejection)).not.toContain('Did you mean');
    const badVariable = policies.plan('query Q($id: ID!) { node(id: $id) { id } }', 'Q', {}, caller());
    expect(codeOf(badVariable)).toBe('BAD_USER_INPUT');
    expect(badVariable.rejection?.status).toBe(400);
  });
});

describe('applyPolicyPlan', () => {
  it('puts nulls back, one error per path pattern with its occurrences, and removes placeholders', () => {
    const plan = policies.plan('{ search { ... on Invoice { id totalMinor } } record { secret } }', undefined, {}, caller());
    const result = applyPolicyPlan(
      {
        data: {
          search: [
            { id: 'i1', __caregraph_placeholder: 'Invoice' },
            { id: 'i2', __caregraph_placeholder: 'Invoice' },
          ],
          record: { __caregraph_placeholder: 'Record' },
        },
      },
      plan,
    );
    expect(result.data).toEqual({ search: [{ id: 'i1', totalMinor: null }, { id: 'i2', totalMinor: null }], record: null });
    expect(result.errors).toEqual([
      { message: expect.any(String), path: ['search', 0, 'totalMinor'], extensions: { code: 'INSUFFICIENT_SCOPE', occurrences: 2 } },
      { message: expect.any(String), path: ['record', 'secret'], extensions: { code: 'INSUFFICIENT_SCOPE' } },
    ]);
  });

  it('nulls a fragment spread in several places and in lists at every position, by runtime type', () => {
    const plan = policies.plan(
      `{ a: search { ...I } b: search { ... on Invoice { ...I } } record { children { ...R } parent { ...R children { ...R } } } }
       fragment I on Invoice { id totalMinor }
       fragment R on Record { id note }`,
      undefined,
      {},
      caller(),
    );
    expect(plan.query.match(/^fragment /gm)).toHaveLength(2);
    expectValid(plan);
    const marker = (type: string) => ({ __caregraph_placeholder: type });
    const result = applyPolicyPlan(
      {
        data: {
          a: [{ id: 'i1', ...marker('Invoice') }, { ...marker('Patient') }, { id: 'i2', ...marker('Invoice') }],
          b: [{ id: 'i3', ...marker('Invoice') }],
          record: { children: [{ id: 'c1' }, { id: 'c2' }], parent: { id: 'p', children: [{ id: 'c3' }] } },
        },
      },
      plan,
    );
    expect(result.data).toEqual({
      a: [{ id: 'i1', totalMinor: null }, {}, { id: 'i2', totalMinor: null }],
      b: [{ id: 'i3', totalMinor: null }],
      record: { children: [{ id: 'c1', note: null }, { id: 'c2', note: null }], parent: { id: 'p', note: null, children: [{ id: 'c3', note: null }] } },
    });
    const errors = result.errors as { path: unknown[]; extensions: { occurrences?: number } }[];
    expect(errors.map((e) => [e.path, e.extensions.occurrences])).toEqual([
      [['a', 0, 'totalMinor'], 2],
      [['b', 0, 'totalMinor'], undefined],
      [['record', 'children', 0, 'note'], 2],
      [['record', 'parent', 'note'], undefined],
      [['record', 'parent', 'children', 0, 'note'], undefined],
    ]);
  });

  it(`caps policy errors at ${MAX_POLICY_ERRORS} per response`, () => {
    const aliases = Array.from({ length: MAX_POLICY_ERRORS + 10 }, (_, i) => `r${i}: record { id note }`).join(' ');
    const plan = policies.plan(`{ ${aliases} }`, undefined, {}, caller());
    expect(plan.removals).toHaveLength(MAX_POLICY_ERRORS);
    const data = Object.fromEntries(Array.from({ length: MAX_POLICY_ERRORS + 10 }, (_, i) => [`r${i}`, { id: String(i) }]));
    const result = applyPolicyPlan({ data }, plan);
    expect(result.errors).toHaveLength(MAX_POLICY_ERRORS);
    expect(result.data![`r${MAX_POLICY_ERRORS + 5}`]).toEqual({ id: String(MAX_POLICY_ERRORS + 5), note: null });
  });

  it('reports removals by their keys when nothing ran, and leaves no errors key when there is nothing to report', () => {
    const refused = applyPolicyPlan({ data: null }, policies.plan('{ search { ... on Patient { email } } }', undefined, {}, caller()));
    expect(refused.errors).toEqual([{ message: expect.any(String), path: ['search', 'email'], extensions: { code: 'PHI_ACCESS_DENIED' } }]);
    const skipped = policies.plan('query Q($show: Boolean!) { record { id note @include(if: $show) } }', 'Q', { show: false }, caller());
    expect(applyPolicyPlan({ data: { record: { id: '1' } } }, skipped)).toEqual({ data: { record: { id: '1' } } });
  });
});

describe('occurrence counts', () => {
  it('counts every denied item of a list exactly: 100 items, one error, occurrences 100', () => {
    const plan = policies.plan('{ search { ... on Invoice { id totalMinor } } }', undefined, {}, caller());
    const search = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, __caregraph_placeholder: 'Invoice' }));
    const result = applyPolicyPlan({ data: { search } }, plan);
    expect(result.errors).toEqual([
      { message: expect.any(String), path: ['search', 0, 'totalMinor'], extensions: { code: 'INSUFFICIENT_SCOPE', occurrences: 100 } },
    ]);
    expect((result.data!.search as unknown[]).every((item) => (item as { totalMinor?: unknown }).totalMinor === null)).toBe(true);
  });

  it('counts across nested lists: 10 × 10 children and 10 × 10 × 10 grandchildren', () => {
    const plan = policies.plan('{ record { children { id note children { id note children { id note } } } } }', undefined, {}, caller());
    const level = (depth: number, prefix: string): unknown[] =>
      Array.from({ length: 10 }, (_, i) => ({ id: `${prefix}${i}`, ...(depth > 1 ? { children: level(depth - 1, `${prefix}${i}.`) } : {}) }));
    const result = applyPolicyPlan({ data: { record: { children: level(3, '') } } }, plan);
    const errors = result.errors as { path: unknown[]; extensions: { code: string; occurrences?: number } }[];
    expect(errors.map((e) => [e.path, e.extensions.occurrences])).toEqual([
      [['record', 'children', 0, 'note'], 10],
      [['record', 'children', 0, 'children', 0, 'note'], 100],
      [['record', 'children', 0, 'children', 0, 'children', 0, 'note'], 1000],
    ]);
  });

  it('counts a field reached through two fragments on the same object once per object', () => {
    const plan = policies.plan('{ record { children { ...A ...B } } } fragment A on Record { note } fragment B on Record { id note }', undefined, {}, caller());
    const children = Array.from({ length: 100 }, (_, i) => ({ id: String(i) }));
    const result = applyPolicyPlan({ data: { record: { children } } }, plan);
    expect((result.errors as { extensions: { occurrences?: number } }[])[0]!.extensions.occurrences).toBe(100);
  });
});

describe('plan caches', () => {
  it('bound their memory in bytes: a flood of large distinct queries stays under the budget', () => {
    const budget = 1_000_000;
    const bounded = new FieldPolicies(SDL, { cacheBytes: { documents: budget, plans: budget } });
    // 200 distinct 20 KB queries (a comment makes them large, a denied field gives each a plan with a guide).
    const large = (i: number) => `# ${String(i).padStart(6, '0')} ${'x'.repeat(20_000)}\n{ record { id note } }`;
    for (let i = 0; i < 200; i++) expect(bounded.plan(large(i), undefined, {}, caller()).removals).toHaveLength(1);
    const { documents, plans } = bounded.cacheStats();
    for (const stats of [documents, plans]) {
      expect(stats.maxBytes).toBe(budget);
      expect(stats.bytes).toBeLessThanOrEqual(budget);
      // Counted by size: fewer than 50 entries of 20 KB fit, not an entry count.
      expect(stats.entries).toBeGreaterThan(0);
      expect(stats.entries).toBeLessThan(50);
    }
    // The latest plan is still cached, and counted by its text and syntax tree, not as one entry.
    expect(bounded.plan(large(199), undefined, {}, caller()).removals).toHaveLength(1);
    expect(bounded.cacheStats().documents.bytes / bounded.cacheStats().documents.entries).toBeGreaterThan(20_000);
  });

  it('counts a dense document by its syntax tree, far above its text length', () => {
    const fresh = new FieldPolicies(SDL);
    const query = `{ ${Array.from({ length: 150 }, (_, i) => `r${i}: record { id parent { id } }`).join(' ')} }`;
    fresh.plan(query, undefined, {}, caller());
    expect(fresh.cacheStats().documents.bytes).toBeGreaterThan(query.length * 20);
  });

  it('serves a cached plan with the request’s own query text, and a rewritten one when fields were removed', () => {
    const fresh = new FieldPolicies(SDL);
    const query = '{ record { id } }';
    expect(fresh.plan(query, undefined, {}, caller()).query).toBe(query);
    expect(fresh.plan(query, undefined, {}, caller()).query).toBe(query);
    const pruned = fresh.plan('{ record { id note } }', undefined, {}, caller());
    expect(fresh.plan('{ record { id note } }', undefined, {}, caller())).toEqual(pruned);
    expect(pruned.query).not.toContain('note');
  });
});
