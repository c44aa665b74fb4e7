import { describe, expect, it } from 'vitest';
import { securityEventSchema, type SecurityEvent } from './security-event.js';

const event: SecurityEvent = {
  kind: 'inactive_tenant_access',
  tenantId: 'EB1EA090-2CAC-47AF-8295-217CF2445ABF',
  principalId: 'user:support-1',
  roles: ['support'],
  requestId: '0b7d0c9e-7d0c-4b1e-9c61-1d6f4b2d7a10',
  correlationId: null,
  detail: { status: 'suspended', principalKind: 'user' },
};

describe('security event contract', () => {
  it('accepts identifiers and short scalar details, and normalises the tenant id', () => {
    expect(securityEventSchema.parse(event).tenantId).toBe('eb1ea090-2cac-47af-8295-217cf2445abf');
  });

  it('refuses nested or long detail values, which could carry record contents', () => {
    expect(securityEventSchema.safeParse({ ...event, detail: { patient: { name: 'x' } } }).success).toBe(false);
    expect(securityEventSchema.safeParse({ ...event, detail: { note: 'x'.repeat(65) } }).success).toBe(false);
    expect(securityEventSchema.safeParse({ ...event, detail: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])) }).success).toBe(false);
  });

  it('refuses unknown kinds, unknown fields and a tenant id that is not a UUID', () => {
    expect(securityEventSchema.safeParse({ ...event, kind: 'whatever' }).success).toBe(false);
    expect(securityEventSchema.safeParse({ ...event, extra: 1 }).success).toBe(false);
    expect(securityEventSchema.safeParse({ ...event, tenantId: 'tenant-1' }).success).toBe(false);
  });
});
