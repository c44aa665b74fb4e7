import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { policyMapOf } from '../policy/spec.js';
import { readCommittedSupergraph } from './compose.js';
import { partnerContract } from './partner-contract.js';

describe('partnerContract', () => {
  const sdl = readCommittedSupergraph();
  const contract = buildSchema(partnerContract(sdl));
  const fields = (type: string) => Object.keys((contract.getType(type) as { getFields(): Record<string, unknown> } | undefined)?.getFields() ?? {});

  it('holds queries only, none of the PHI, and nothing a key scope cannot reach', () => {
    expect(contract.getMutationType()).toBeUndefined();
    const policies = policyMapOf(parse(sdl));
    for (const [key, policy] of policies) {
      const [type, field] = key.split('.') as [string, string];
      if (policy.phi || policy.scopes.every((all) => all.some((scope) => ['keys:manage', 'audit:read', 'phi:read'].includes(scope)))) {
        if (policy.phi || policy.scopes.length > 0) expect(fields(type), key).not.toContain(field);
      }
    }
    expect(fields('Query')).toEqual(expect.arrayContaining(['tenants', 'tenant', 'plans']));
    expect(fields('Query')).not.toContain('breakGlassEvents');
  });

  it('is marked as generated, with where it comes from', () => {
    expect(partnerContract(sdl)).toMatch(/^# The CareGraph partner contract[\s\S]*npm run compose/);
  });
});
