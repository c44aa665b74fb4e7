import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from './evaluate.js';

const base = { access: 'tenant' as const, roles: [] as string[], scopes: [] as string[], entitlements: [] as string[], purpose: null, breakGlass: false };
const phi = { entitlements: [], scopes: [], phi: true };

describe('evaluatePolicy', () => {
  it('PHI needs the PHI scope and a clinical role', () => {
    expect(evaluatePolicy(phi, { ...base, roles: ['clinician'], scopes: ['phi:read'] }).allowed).toBe(true);
    expect(evaluatePolicy(phi, { ...base, roles: ['clinician'] }).denial?.code).toBe('PHI_ACCESS_DENIED');
    expect(evaluatePolicy(phi, { ...base, roles: ['analyst'], scopes: ['phi:read'] }).denial?.code).toBe('PHI_ACCESS_DENIED');
  });

  it('break-glass needs a declared purpose and a role allowed to break it', () => {
    expect(evaluatePolicy(phi, { ...base, roles: ['support'], purpose: 'outage triage', breakGlass: true })).toEqual({ allowed: true, breakGlass: true });
    expect(evaluatePolicy(phi, { ...base, roles: ['support'], purpose: 'outage triage', breakGlass: false }).allowed).toBe(false);
    expect(evaluatePolicy(phi, { ...base, roles: ['analyst'], purpose: 'curious', breakGlass: true }).allowed).toBe(false);
  });

  it('scopes are an OR of ANDs, checked before PHI', () => {
    const policy = { entitlements: [], scopes: [['a', 'b'], ['c']], phi: true };
    expect(evaluatePolicy(policy, { ...base, scopes: ['a'] }).denial?.code).toBe('INSUFFICIENT_SCOPE');
    expect(evaluatePolicy(policy, { ...base, scopes: ['c'] }).denial?.code).toBe('PHI_ACCESS_DENIED');
  });

  it('entitlements gate tenant and partner level, not platform level', () => {
    const policy = { entitlements: ['advanced_analytics'], scopes: [], phi: false };
    expect(evaluatePolicy(policy, base).denial?.code).toBe('ENTITLEMENT_REQUIRED');
    expect(evaluatePolicy(policy, { ...base, access: 'partner' }).denial?.code).toBe('ENTITLEMENT_REQUIRED');
    expect(evaluatePolicy(policy, { ...base, entitlements: ['advanced_analytics'] }).allowed).toBe(true);
    expect(evaluatePolicy(policy, { ...base, access: 'platform' }).allowed).toBe(true);
  });
});
