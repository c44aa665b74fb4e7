import { describe, expect, it } from 'vitest';
import type { TenantAccess } from '../lib/auth/tenant-access.js';
import type { SecurityEvent } from '../lib/auth/security-event.js';
import { loadConfig } from '../lib/config.js';
import type { CareGraphError } from '../lib/errors.js';
import type { Principal } from './authenticate.js';
import { TenantResolver } from './tenant-access.js';

const TENANT = '7d1c3f3e-55a4-4c1e-9d7b-0f1e2d3c4b5a';
const PARTNER = '2f0c6a1b-8e7d-4c3b-a291-5d4e3f2a1b0c';
const ids = { requestId: 'gw-request-1', correlationId: 'client-1' };

/** Stand-in for the internal routes of tenancy and erp: answers tenant facts and records posted events. */
function services(status: string, options: { failPost?: boolean } = {}) {
  const posted: { route: string; body: SecurityEvent }[] = [];
  const access: TenantAccess = { id: TENANT, status, tier: 'standard', cohort: 'general', partnerId: PARTNER, grantedFeatures: [], withdrawnFeatures: [] };
  return {
    posted,
    async get<T>(subgraph: string): Promise<T> {
      return (subgraph === 'tenancy' ? { tenant: access } : { features: ['core'] }) as T;
    },
    async post<T>(_subgraph: string, route: string, body: unknown): Promise<T> {
      if (options.failPost) throw new Error('tenancy /internal/security-event answered 503');
      posted.push({ route, body: body as SecurityEvent });
      return { id: 'e1' } as T;
    },
  };
}

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ACCESS_CACHE_SECONDS: '0' });
const user: Principal = { id: 'user:u1', kind: 'user', roles: ['clinician'], scopes: [], tenantId: TENANT, partnerId: null };
const key: Principal = { id: 'api_key:k1', kind: 'api_key', roles: [], scopes: [], tenantId: null, partnerId: PARTNER };
const support: Principal = { id: 'user:s1', kind: 'user', roles: ['support'], scopes: [], tenantId: null, partnerId: null };
const otherTenantUser: Principal = { ...user, id: 'user:u2', tenantId: '00000000-0000-4000-8000-000000000001' };

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: CareGraphError) => error.extensions.code);

describe('TenantResolver and tenant status', () => {
  it.each(['active', 'provisioning'])('an %s tenant is open to its users and its partner keys, with no event', async (status) => {
    const fake = services(status);
    const resolver = new TenantResolver(config, fake);
    await expect(resolver.resolve(user, null, ids)).resolves.toMatchObject({ access: 'tenant', tenantId: TENANT });
    await expect(resolver.resolve(key, TENANT, ids)).resolves.toMatchObject({ access: 'tenant', tenantId: TENANT });
    expect(fake.posted).toEqual([]);
  });

  it.each([
    ['suspended', 'TENANT_SUSPENDED'],
    ['offboarded', 'TENANT_OFFBOARDED'],
    ['some_future_status', 'TENANT_SUSPENDED'],
  ])('a %s tenant refuses its users and partner keys with %s', async (status, code) => {
    const fake = services(status);
    const resolver = new TenantResolver(config, fake);
    expect(await codeOf(resolver.resolve(user, null, ids))).toBe(code);
    expect(await codeOf(resolver.resolve(key, TENANT, ids))).toBe(code);
    expect(fake.posted).toEqual([]);
  });

  it('a principal who may not act on the tenant learns nothing of its status', async () => {
    expect(await codeOf(new TenantResolver(config, services('suspended')).resolve(otherTenantUser, TENANT, ids))).toBe('TENANT_FORBIDDEN');
  });

  it('platform staff may act on a suspended tenant, each request recorded first', async () => {
    const fake = services('suspended');
    await expect(new TenantResolver(config, fake).resolve(support, TENANT, ids)).resolves.toMatchObject({ access: 'tenant', tenantId: TENANT });
    expect(fake.posted).toEqual([
      {
        route: 'security-event',
        body: {
          kind: 'inactive_tenant_access',
          tenantId: TENANT,
          principalId: 'user:s1',
          roles: ['support'],
          requestId: 'gw-request-1',
          correlationId: 'client-1',
          detail: { status: 'suspended', principalKind: 'user' },
        },
      },
    ]);
  });

  it('no record, no answer: when the event cannot be written the request is refused', async () => {
    const refusal = new TenantResolver(config, services('offboarded', { failPost: true })).resolve(support, TENANT, ids);
    await expect(refusal).rejects.toMatchObject({ extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'gw-request-1' } });
  });

  it('platform-level and partner-level requests do not read any tenant', async () => {
    const fake = services('suspended');
    const resolver = new TenantResolver(config, fake);
    await expect(resolver.resolve(support, null, ids)).resolves.toMatchObject({ access: 'platform' });
    await expect(resolver.resolve(key, null, ids)).resolves.toMatchObject({ access: 'partner' });
    expect(fake.posted).toEqual([]);
  });
});
