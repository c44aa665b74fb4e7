/**
 * The first flow between domains, end to end on the real database with both workers running:
 * declaring break-glass in clinical-ops publishes `clinical-ops.break-glass.declared` in the
 * declaration's transaction (identifiers only), clinical-ops' relay queues it, and tenancy's
 * worker turns it into one `break_glass_declared` security event — still one when the event is
 * delivered again. A declaration that fails publishes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, bindingKey, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { appUrl, Database } from '../../lib/db/index.js';
import { migratePgBoss } from '../../lib/jobs/migrate.js';
import { seededTenants, TEST_TUNING, uniqueSuffix, userContext, waitFor, withAdmin } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { breakGlassResolvers } from '../clinical-ops/break-glass.js';
import type { ClinicalContext } from '../clinical-ops/context.js';
import * as clinicalOpsWorker from '../clinical-ops/worker.js';
import * as tenancyWorker from './worker.js';

const url = () => appUrl(adminUrl(), TEST_APP_PASSWORD);
const workers: RunningWorker[] = [];
let clinicalDb: Database;
let tenantA: string;
let patientOfA: string;
let patientOfB: string;

beforeAll(async () => {
  // What `npm run migrate` declares for these two workers (idempotent).
  await migratePgBoss(adminUrl(), [...clinicalOpsWorker.queues, ...tenancyWorker.queues]);
  const [a, b] = (await seededTenants(adminUrl(), 2)) as [string, string];
  tenantA = a;
  [patientOfA, patientOfB] = await withAdmin(adminUrl(), async (client) => {
    const pick = async (tenant: string) => (await client.query<{ id: string }>('SELECT id FROM clinical_ops.patients WHERE tenant_id = $1 LIMIT 1', [tenant])).rows[0]!.id;
    return [await pick(a), await pick(b)];
  });
  clinicalDb = new Database({ url: url(), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  for (const worker of [clinicalOpsWorker, tenancyWorker]) workers.push(await worker.start(testConfig(), { databaseUrl: url(), tuning: TEST_TUNING }));
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await clinicalDb?.close();
});

/** Declares break-glass through clinical-ops' resolver, as a request through the gateway would. */
function declare(tenant: TenantContext, patientIds: string[]): Promise<{ id: string }> {
  const context = { tenant, db: clinicalDb, loaders: {} } as unknown as ClinicalContext;
  return breakGlassResolvers.Mutation.declareBreakGlass(undefined, { input: { reason: 'Unconscious patient in the emergency room', patientIds } }, context);
}

const securityEvents = (grantId: string) =>
  withAdmin(adminUrl(), async (client) => (await client.query("SELECT * FROM tenancy.security_events WHERE detail->>'grantId' = $1", [grantId])).rows);
const outboxOf = (requestId: string) =>
  withAdmin(adminUrl(), async (client) => (await client.query("SELECT * FROM clinical_ops.outbox WHERE actor->>'requestId' = $1", [requestId])).rows);

describe('a break-glass declaration', () => {
  const clinician = () => userContext(tenantA, { principalId: `user:clinician-${uniqueSuffix()}`, roles: ['clinician'], tier: 'enhanced' });

  it('reaches tenancy’s security events once, with identifiers only, however often it is delivered', async () => {
    const tenant = { ...clinician(), correlationId: 'client-req-7' };
    const grant = await declare(tenant, [patientOfA]);
    const [event] = await outboxOf(tenant.requestId);
    expect(event).toMatchObject({ type: 'clinical-ops.break-glass.declared', tenant_id: tenantA, tier: 'enhanced', payload: { grantId: grant.id, patientCount: 1 } });
    const [recorded] = await waitFor('the security event', async () => {
      const rows = await securityEvents(grant.id);
      return rows.length > 0 && rows;
    });
    expect(recorded).toMatchObject({
      id: event.id,
      kind: 'break_glass_declared',
      tenant_id: tenantA,
      principal_id: tenant.principal.id,
      roles: ['clinician'],
      request_id: tenant.requestId,
      correlation_id: 'client-req-7',
      detail: { grantId: grant.id, patientCount: 1, expiresAt: expect.any(String), principalKind: 'user' },
    });
    const audited = () =>
      withAdmin(adminUrl(), async (client) =>
        (await client.query('SELECT action, actor_id, actor_roles, request_id, detail FROM tenancy.audit_log WHERE target = $1', [`break_glass_grant:${grant.id}`])).rows,
      );
    expect(await audited()).toEqual([
      { action: 'break_glass.declared', actor_id: tenant.principal.id, actor_roles: ['clinician'], request_id: tenant.requestId, detail: { patientCount: 1, expiresAt: expect.any(String) } },
    ]);
    const stored = JSON.stringify({ event, recorded, audit: await audited() });
    expect(stored).not.toContain(patientOfA);
    expect(stored).not.toContain('Unconscious');

    await withAdmin(adminUrl(), (client) => client.query('UPDATE clinical_ops.outbox SET relayed_at = NULL WHERE id = $1', [event.id]));
    await waitFor('the second delivery to be relayed', async () => (await outboxOf(tenant.requestId))[0]?.relayed_at);
    await waitFor('the second delivery to be worked', () =>
      withAdmin(adminUrl(), async (client) => {
        const { rows } = await client.query("SELECT state FROM pgboss.job WHERE name = 'tenancy.events' AND data->>'id' = $1", [event.id]);
        return rows.length === 2 && rows.every((row) => row.state === 'completed');
      }),
    );
    expect(await securityEvents(grant.id)).toHaveLength(1);
    expect(await audited()).toHaveLength(1);
  });

  it('that fails publishes nothing', async () => {
    const tenant = clinician();
    await expect(declare(tenant, [patientOfB])).rejects.toThrow(/patient the tenant does not have/);
    expect(await outboxOf(tenant.requestId)).toEqual([]);
  });
});
