/** The partner example's lines: a tenant, and its usage with each missing value explained. */
import { describe, expect, it } from 'vitest';
import { RequestFailedError, type OperationResult } from '../graphql-result.js';
import type { PartnerTenantUsageQuery } from '../frontend/src/gql/graphql.js';
import { formatTenant, usageLine, usageOrWhyNot } from './list-tenants.js';
import type { PartnerClient } from './partner-client.js';

const usage = (result: Omit<OperationResult<PartnerTenantUsageQuery>, 'status'>): PartnerClient => ({
  listAttributedTenants: () => Promise.reject(new Error('not used')),
  tenantUsage: async () => ({ ...result, status: 200 }),
});

describe('list-tenants', () => {
  it('formats a tenant', () => {
    expect(
      formatTenant({
        id: 't-1',
        slug: 'clinic-1',
        name: 'Clinic 1',
        segment: 'AMBULATORY',
        tier: 'CRITICAL',
        region: 'eu-west',
        status: 'ACTIVE',
        createdAt: '2025-01-01T00:00:00.000Z',
        partner: null,
      }),
    ).toBe('t-1  Clinic 1 (clinic-1), CRITICAL, eu-west, ACTIVE');
  });

  it('prints usage, with the entitlement that a null p95 lacks', async () => {
    const client = usage({
      data: {
        tenant: {
          id: 't-1',
          name: 'Clinic 1',
          subscription: { status: 'ACTIVE', plan: { code: 'standard', name: 'Standard' } },
          health: { availability: 0.98, errorRate: 0.02, p95LatencyMs: null, requestCount: 50, windowMinutes: 1440 },
        },
      },
      errors: [{ message: 'x', code: 'ENTITLEMENT_REQUIRED', path: ['tenant', 'health', 'p95LatencyMs'], extensions: {} }],
    });
    expect(await usageLine(client, 't-1')).toBe('    plan standard ACTIVE; 50 requests/24h, availability 98.0%, p95 — (ENTITLEMENT_REQUIRED)');
  });

  it('a key without billing:read sees no plan, and says why', async () => {
    const client = usage({
      data: { tenant: { id: 't-1', name: 'Clinic 1', subscription: null, health: null } },
      errors: [
        { message: 'x', code: 'INSUFFICIENT_SCOPE', path: ['tenant', 'subscription'], extensions: {} },
        { message: 'x', code: 'INSUFFICIENT_SCOPE', path: ['tenant', 'health'], extensions: {} },
      ],
    });
    expect(await usageLine(client, 't-1')).toBe('    plan — (INSUFFICIENT_SCOPE); 0 requests/24h, availability — (INSUFFICIENT_SCOPE), p95 — (INSUFFICIENT_SCOPE)');
  });

  it('says a suspended tenant’s usage is closed rather than failing the listing; other failures still fail', async () => {
    const refusing = (code: string): PartnerClient => ({
      listAttributedTenants: () => Promise.reject(new Error('not used')),
      tenantUsage: () => Promise.reject(new RequestFailedError(403, [{ message: 'closed', code, path: undefined, extensions: {} }])),
    });
    expect(await usageOrWhyNot(refusing('TENANT_SUSPENDED'), 't-1')).toBe('    usage — (TENANT_SUSPENDED)');
    expect(await usageOrWhyNot(refusing('TENANT_OFFBOARDED'), 't-1')).toBe('    usage — (TENANT_OFFBOARDED)');
    await expect(usageOrWhyNot(refusing('UNAUTHENTICATED'), 't-1')).rejects.toThrow(/UNAUTHENTICATED/);
  });
});
