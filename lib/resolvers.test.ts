/** Resolver maps of one subgraph merge type by type, and a field resolved twice is a start-up error. */
import { describe, expect, it } from 'vitest';
import { mergeResolvers } from './resolvers.js';

describe('mergeResolvers', () => {
  const tenantQuery = () => 'tenant';
  const partnerQuery = () => 'partner';

  it('keeps the fields of a type from every map (a spread would keep only the last Query)', () => {
    const merged = mergeResolvers({ Query: { tenant: tenantQuery } }, { Query: { partner: partnerQuery }, Partner: { name: () => 'n' } });
    expect(merged).toEqual({ Query: { tenant: tenantQuery, partner: partnerQuery }, Partner: { name: expect.any(Function) } });
  });

  it('refuses two resolvers for one field, naming it', () => {
    expect(() => mergeResolvers({ Query: { tenant: tenantQuery } }, { Query: { tenant: partnerQuery } })).toThrow('Two resolvers for Query.tenant');
  });

  it('leaves the maps it merges unchanged', () => {
    const first = { Query: { tenant: tenantQuery } };
    mergeResolvers(first, { Query: { partner: partnerQuery } });
    expect(first).toEqual({ Query: { tenant: tenantQuery } });
  });

  it('merges nothing into an empty map', () => {
    expect(mergeResolvers()).toEqual({});
  });
});
