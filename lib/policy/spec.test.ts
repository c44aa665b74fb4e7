/** Reading policies from SDL: type-level policies, merging, and interfaces binding their implementations. */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { policyMapOf } from './spec.js';

describe('policyMapOf', () => {
  it('a policy on an interface field binds the same field of every implementing type', () => {
    const map = policyMapOf(
      parse(/* GraphQL */ `
        interface Person { id: ID! name: String @phi }
        type Patient implements Person { id: ID! name: String }
        type Caregiver implements Person { id: ID! name: String @scopes(anyOf: [["clinical:read"]]) }
        type Clinic { id: ID! name: String }
      `),
    );
    expect(map.get('Person.name')).toEqual({ entitlements: [], scopes: [], phi: true });
    expect(map.get('Patient.name')).toEqual({ entitlements: [], scopes: [], phi: true });
    // The implementation's own policy and the interface's both apply.
    expect(map.get('Caregiver.name')).toEqual({ entitlements: [], scopes: [['clinical:read']], phi: true });
    expect(map.get('Clinic.name')).toBeUndefined();
    expect(map.get('Patient.id')).toBeUndefined();
  });

  it('an interface added by a type extension binds too', () => {
    const map = policyMapOf(
      parse(/* GraphQL */ `
        interface Billable { amount: Int @entitled(feature: "billing") }
        type Invoice { id: ID! amount: Int }
        extend type Invoice implements Billable
      `),
    );
    expect(map.get('Invoice.amount')).toEqual({ entitlements: ['billing'], scopes: [], phi: false });
  });

  it('type-level policies apply to every field and combine with field policies (AND)', () => {
    const map = policyMapOf(
      parse(/* GraphQL */ `
        type Report @scopes(anyOf: [["a"]]) { total: Int secret: Int @scopes(anyOf: [["b"], ["c"]]) }
      `),
    );
    expect(map.get('Report.total')?.scopes).toEqual([['a']]);
    expect(map.get('Report.secret')?.scopes).toEqual([['a', 'b'], ['a', 'c']]);
  });
});
