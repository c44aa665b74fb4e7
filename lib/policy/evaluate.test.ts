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

  const grant = (expiresInSeconds: number) => ({
    id: '00000000-0000-4000-8000-000000000001',
    patientIds: ['00000000-0000-4000-8000-000000000002'],
    expiresAt: Math.floor(Date.now() / 1000) + expiresInSeconds,
  });
  const glass = { ...base, roles: ['support'], purpose: 'outage triage', breakGlass: true, breakGlassGrant: grant(600) };

  it('break-glass needs a live grant, a declared purpose and a role allowed to break it', () => {
    expect(evaluatePolicy(phi, glass)).toEqual({ allowed: true, breakGlass: true });
    expect(evaluatePolicy(phi, { ...glass, breakGlass: false }).allowed).toBe(false);
    expect(evaluatePolicy(phi, { ...glass, roles: ['analyst'] }).allowed).toBe(false);
  });

  it('break-glass without a grant, with an expired one, or at platform level is refused', () => {
    expect(evaluatePolicy(phi, { ...glass, breakGlassGrant: null }).denial?.code).toBe('PHI_ACCESS_DENIED');
    expect(evaluatePolicy(phi, { ...glass, breakGlassGrant: grant(-1) }).denial?.code).toBe('PHI_ACCESS_DENIED');
    expect(evaluatePolicy(phi, { ...glass, access: 'platform' }).denial?.code).toBe('PHI_ACCESS_DENIED');
    expect(evaluatePolicy(phi, { ...glass, access: 'partner' }).denial?.code).toBe('PHI_ACCESS_DENIED');
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
