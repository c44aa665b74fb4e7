import { buildSchema, type GraphQLSchema, parse, printSchema, validateSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiSchemaOf } from '../federation/api-schema.js';
import { readCommittedSupergraph } from '../federation/compose.js';
import { callerSchema, entitlementNote, mayEverRead, viewerKey } from './caller-schema.js';
import { API_KEY_SCOPES, DEFAULT_ROLE_SCOPES, policyMapOf, type PolicyMap } from './spec.js';

const fieldsOf = (schema: GraphQLSchema): Set<string> => {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !('getFields' in type) || typeof type.getFields !== 'function') continue;
    for (const name of Object.keys(type.getFields())) names.add(`${type.name}.${name}`);
  }
  return names;
};

describe('mayEverRead', () => {
  const phi = { entitlements: [], scopes: [['clinical:read']], phi: true };
  it('needs the scopes, and for PHI a clinical role with phi:read or a break-glass role', () => {
    expect(mayEverRead(undefined, { roles: [], scopes: [] })).toBe(true);
    expect(mayEverRead(phi, { roles: ['analyst'], scopes: DEFAULT_ROLE_SCOPES.analyst })).toBe(false);
    expect(mayEverRead(phi, { roles: ['clinician'], scopes: DEFAULT_ROLE_SCOPES.clinician })).toBe(true);
    expect(mayEverRead(phi, { roles: ['tenant_admin'], scopes: DEFAULT_ROLE_SCOPES.tenant_admin }), 'may break glass').toBe(true);
    expect(mayEverRead(phi, { roles: ['clinician'], scopes: ['tenant:read'] }), 'scope missing').toBe(false);
    expect(mayEverRead({ entitlements: ['advanced_analytics'], scopes: [], phi: false }, { roles: [], scopes: [] }), 'entitlements never hide').toBe(true);
  });
  it('keys equal views equally, whatever the order', () => {
    expect(viewerKey({ roles: ['b', 'a'], scopes: ['y', 'x', 'x'] })).toBe(viewerKey({ roles: ['a', 'b'], scopes: ['x', 'y'] }));
  });
});

describe('callerSchema on the supergraph', () => {
  let api: GraphQLSchema;
  let policies: PolicyMap;
  let phiFields: string[];
  beforeAll(() => {
    const sdl = readCommittedSupergraph();
    api = apiSchemaOf(sdl);
    policies = policyMapOf(parse(sdl));
    phiFields = [...policies].filter(([, policy]) => policy.phi).map(([key]) => key);
  });
  const view = (role: keyof typeof DEFAULT_ROLE_SCOPES) => callerSchema(api, policies, { roles: [role], scopes: DEFAULT_ROLE_SCOPES[role] });

  it('gives every role a valid schema', () => {
    for (const role of Object.keys(DEFAULT_ROLE_SCOPES) as (keyof typeof DEFAULT_ROLE_SCOPES)[]) expect(validateSchema(view(role)), role).toEqual([]);
  });

  it('hides PHI from an analyst and billing from a clinician, and shows the clinician its PHI', () => {
    expect(phiFields.length).toBeGreaterThan(5);
    const analyst = fieldsOf(view('analyst'));
    for (const field of phiFields) expect(analyst.has(field), field).toBe(false);
    const clinician = fieldsOf(view('clinician'));
    for (const field of phiFields) if (fieldsOf(api).has(field)) expect(clinician.has(field), field).toBe(true);
    const billing = [...policies].filter(([, policy]) => policy.scopes.length > 0 && policy.scopes.every((all) => all.includes('billing:read'))).map(([key]) => key);
    expect(billing.length).toBeGreaterThan(0);
    for (const field of billing) expect(clinician.has(field), field).toBe(false);
    expect(fieldsOf(view('biller')).has(billing[0]!)).toBe(true);
  });

  it('keeps entitlement-gated fields, saying which feature they need', () => {
    const gated = [...policies].filter(([, policy]) => policy.entitlements.length > 0 && policy.scopes.length === 0 && !policy.phi);
    expect(gated.length).toBeGreaterThan(0);
    const schema = view('platform_admin');
    for (const [key, policy] of gated) {
      const [type, field] = key.split('.') as [string, string];
      const definition = (schema.getType(type) as { getFields?: () => Record<string, { description?: string | null }> } | undefined)?.getFields?.()[field];
      if (!definition) continue;
      expect(definition.description, key).toContain(entitlementNote(policy.entitlements));
    }
  });

  it("limits a partner key's view to its scopes", () => {
    const key = fieldsOf(callerSchema(api, policies, { roles: [], scopes: API_KEY_SCOPES }));
    expect(key.has('Mutation.issueApiKey')).toBe(false);
    expect(fieldsOf(callerSchema(api, policies, { roles: [], scopes: API_KEY_SCOPES, readOnly: true })).has('Mutation.declareBreakGlass')).toBe(false);
    for (const field of phiFields) expect(key.has(field), field).toBe(false);
    const narrow = fieldsOf(callerSchema(api, policies, { roles: [], scopes: ['tenant:read'] }));
    expect([...narrow].every((field) => key.has(field))).toBe(true);
    expect(narrow.size).toBeLessThan(key.size);
  });
});

describe('callerSchema on a small schema', () => {
  it('drops a type left empty, the fields that led to it, and union members gone with it', () => {
    const sdl = /* GraphQL */ `
      type Query { a: A, b: B, both: AorB, n: Int }
      type A { secret: Int }
      type B { open: Int, secret: Int }
      union AorB = A | B
    `;
    const policies: PolicyMap = new Map([
      ['A.secret', { entitlements: [], scopes: [['x']], phi: false }],
      ['B.secret', { entitlements: [], scopes: [['x']], phi: false }],
    ]);
    const view = callerSchema(buildSchema(sdl), policies, { roles: [], scopes: [] });
    expect(validateSchema(view)).toEqual([]);
    expect(printSchema(view)).toBe(printSchema(buildSchema(/* GraphQL */ `
      type Query { b: B, both: AorB, n: Int }
      type B { open: Int }
      union AorB = B
    `)));
  });
});
