/** Subgraph-side enforcement: the same decision as the gateway, including policies inherited from interfaces. */
import { buildASTSchema, graphql, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { TenantContext } from '../tenant-context.js';
import { enforcePolicies, type PhiRead } from './enforce.js';
import { POLICY_DIRECTIVES_SDL } from './spec.js';

const typeDefs = parse(/* GraphQL */ `
  interface Person { id: ID! name: String @phi }
  type Patient implements Person { id: ID! name: String }
  type Query { people: [Person!]! patient: Patient }
`);

const tenant = (roles: string[], scopes: string[]): TenantContext => ({
  requestId: 'r-1',
  access: 'tenant',
  tenantId: '00000000-0000-4000-8000-00000000000a',
  principal: { id: 'user:t', kind: 'user' },
  roles,
  scopes,
  entitlements: [],
});

function run(query: string, context: { tenant: TenantContext }) {
  const reads: PhiRead[] = [];
  const schema = enforcePolicies(buildASTSchema(parse(`${POLICY_DIRECTIVES_SDL}\n${/* GraphQL */ `
    interface Person { id: ID! name: String @phi }
    type Patient implements Person { id: ID! name: String }
    type Query { people: [Person!]! patient: Patient }
  `}`)), typeDefs, { onPhiRead: (_, read) => reads.push(read) });
  const patient = { __typename: 'Patient', id: 'p-1', name: 'Ada' };
  return graphql({ schema, source: query, rootValue: { people: [patient], patient }, contextValue: context }).then((result) => ({ result, reads }));
}

describe('enforcePolicies', () => {
  it('a policy on an interface field binds reads through the implementing type', async () => {
    const { result, reads } = await run('{ patient { id name } }', { tenant: tenant(['analyst'], []) });
    expect(result.data).toEqual({ patient: { id: 'p-1', name: null } });
    expect(result.errors?.map((e) => e.extensions.code)).toEqual(['PHI_ACCESS_DENIED']);
    expect(reads).toEqual([]);
  });

  it('and through the interface itself', async () => {
    const { result } = await run('{ people { id name } }', { tenant: tenant(['analyst'], []) });
    expect(result.data).toEqual({ people: [{ id: 'p-1', name: null }] });
    expect(result.errors?.map((e) => e.extensions.code)).toEqual(['PHI_ACCESS_DENIED']);
  });

  it('a clinician with the PHI scope reads it, and the read is reported for the audit', async () => {
    const { result, reads } = await run('{ patient { name } }', { tenant: tenant(['clinician'], ['phi:read']) });
    expect(result).toEqual({ data: { patient: { name: 'Ada' } } });
    expect(reads.map((r) => `${r.typeName}.${r.fieldName}`)).toEqual(['Patient.name']);
  });
});
