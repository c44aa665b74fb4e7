import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OperationChecker } from './operation-check.js';
import { operationCost } from './operation-cost.js';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    tenants(first: Int = 20, after: String): TenantConnection!
    plans: [Plan!]!
    node(id: ID!): Node
  }
  interface Node { id: ID! }
  type TenantConnection { totalCount: Int! edges: [TenantEdge!]! }
  type TenantEdge { cursor: String! node: Tenant! }
  type Tenant implements Node { id: ID! name: String! appointments(first: Int): [Appointment!]! tags: [String!]! }
  type Appointment { id: ID! }
  type Plan { code: String! features: [String!]! }
`);
const checker = new OperationChecker(schema);

function cost(query: string, variables?: Record<string, unknown>): number {
  const checked = checker.check(query, undefined, variables);
  if ('errors' in checked) throw new Error(JSON.stringify(checked.errors));
  return operationCost(schema, checked);
}

describe('operationCost', () => {
  it('counts a connection page once per item its first argument asks for, not again for its edges list', () => {
    // tenants 1 + totalCount 1 + edges 1 + 50 × (node 1 + id 1 + name 1)
    expect(cost('{ tenants(first: 50) { totalCount edges { node { id name } } } }')).toBe(153);
  });

  it('reads the size from variables and from the argument default', () => {
    expect(cost('query Page($n: Int) { tenants(first: $n) { edges { node { id } } } }', { n: 10 })).toBe(22);
    expect(cost('{ tenants { edges { node { id } } } }')).toBe(42);
  });

  it('multiplies nested sized lists and counts an unsized list at the default size', () => {
    // tenants 1 + edges 1 + 5 × (node 1 + appointments 1 + 100 × id 1)
    expect(cost('{ tenants(first: 5) { edges { node { appointments(first: 100) { id } } } } }')).toBe(512);
    // plans 1 + 10 × (code 1 + features 1): a scalar list costs 1
    expect(cost('{ plans { code features } }')).toBe(21);
  });

  it('follows fragments and inline fragments on abstract types', () => {
    const viaFragment = cost('{ tenants(first: 2) { edges { node { ...T } } } } fragment T on Tenant { id name }');
    expect(viaFragment).toBe(cost('{ tenants(first: 2) { edges { node { id name } } } }'));
    expect(cost('{ node(id: "x") { id ... on Tenant { name appointments(first: 3) { id } } } }')).toBe(1 + 1 + 1 + 1 + 3);
  });
});
