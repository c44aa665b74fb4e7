import { describe, expect, it } from 'vitest';
import { demoFleet, demoPatients, REGIONS, SEGMENTS, TIERS } from './fleet.js';

describe('demo fleet', () => {
  it('is the same on every run, and tenant i does not depend on the fleet size', () => {
    expect(demoFleet(40)).toEqual(demoFleet(40));
    expect(demoFleet(400).tenants.slice(0, 40)).toEqual(demoFleet(40).tenants);
  });

  it('covers every segment and tier, several regions, both placements and both partners', () => {
    const { tenants, partners } = demoFleet(40);
    expect(new Set(tenants.map((t) => t.segment))).toEqual(new Set(SEGMENTS));
    expect(new Set(tenants.map((t) => t.tier))).toEqual(new Set(TIERS));
    expect(new Set(tenants.map((t) => t.region))).toEqual(new Set(REGIONS));
    expect(new Set(tenants.map((t) => t.placement))).toEqual(new Set(['pooled', 'isolated']));
    for (const partner of partners) expect(tenants.some((t) => t.partnerId === partner.id)).toBe(true);
    expect(new Set(tenants.map((t) => t.slug)).size).toBe(40);
  });

  it('invents obviously synthetic people', () => {
    for (const patient of demoPatients(demoFleet(3).tenants[2]!)) {
      expect(patient.email).toMatch(/@example\.test$/);
      expect(patient.phone).toMatch(/^\+1-555-01\d\d$/);
      expect(patient.mrn).toMatch(/^DEMO-/);
    }
  });
});
