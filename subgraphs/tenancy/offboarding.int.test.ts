/**
 * The retention sweep in tenancy's worker, on the real database: a periodic job (one link of its
 * chain waiting at a time, however many workers start) that finds OFFBOARDED tenants whose
 * retention has passed and requests their purge — `purge_requested_at`, the audit entry and the
 * `tenancy.tenant.purge-requested` event, once — and leaves alone a tenant still within its
 * retention and one not OFFBOARDED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { migratePgBoss } from '../../lib/jobs/migrate.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { adminQuery, adminUrl, dropScratchTenants, scratchTenant, testConfig } from '../../test/support/platform.js';
import { retentionSweepQueue } from './offboarding.js';
import * as tenancyWorker from './worker.js';

const workers: RunningWorker[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  await migratePgBoss(adminUrl(), tenancyWorker.queues);
  const options = { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING };
  // Two replicas starting together: still one sweep waiting.
  workers.push(...(await Promise.all([tenancyWorker.start(testConfig(), options), tenancyWorker.start(testConfig(), options)])));
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await dropScratchTenants(scratch);
});

async function tenantIn(status: string, offboardedDaysAgo: number | null): Promise<string> {
  const id = await scratchTenant('Retention Test Clinic');
  scratch.push(id);
  await adminQuery(`UPDATE tenancy.tenants SET status = $2, offboarded_at = now() - make_interval(days => $3::int) WHERE id = $1`, [id, status, offboardedDaysAgo]);
  return id;
}

const stateOf = async (id: string) =>
  (await adminQuery<{ purge_requested_at: Date | null }>('SELECT purge_requested_at FROM tenancy.tenants WHERE id = $1', [id]))[0]!.purge_requested_at;

describe('the retention sweep', () => {
  it('requests the purge of offboarded tenants past their retention, once, and of no other', async () => {
    const due = await tenantIn('offboarded', 366);
    const kept = await tenantIn('offboarded', 30);
    const offboarding = await tenantIn('offboarding', 400);

    await waitFor('the purge of the tenant past its retention', () => stateOf(due), 20_000);
    const audit = await adminQuery<{ action: string; actor_id: string; detail: Record<string, unknown> }>(
      'SELECT action, actor_id, detail FROM tenancy.audit_log WHERE tenant_id = $1 ORDER BY seq',
      [due],
    );
    expect(audit).toEqual([{ action: 'tenant.purge-requested', actor_id: 'service:tenancy-worker', detail: { by: 'retention_sweep', retentionDays: 365, offboardedAt: expect.any(String) } }]);
    const events = await adminQuery<{ type: string; payload: Record<string, unknown> }>("SELECT type, payload FROM tenancy.outbox WHERE tenant_id = $1 AND type = 'tenancy.tenant.purge-requested'", [due]);
    expect(events).toEqual([{ type: 'tenancy.tenant.purge-requested', payload: { retentionDays: 365, offboardedAt: audit[0]!.detail.offboardedAt } }]);

    // Two more sweeps later, nothing more, and nothing for the others.
    const sweeps = async () => (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'`, [retentionSweepQueue.name]))[0]!.n;
    const done = await sweeps();
    await waitFor('two more sweeps', async () => (await sweeps()) >= done + 2, 20_000);
    expect(await stateOf(kept)).toBeNull();
    expect(await stateOf(offboarding)).toBeNull();
    expect(await adminQuery("SELECT 1 FROM tenancy.audit_log WHERE tenant_id = $1 AND action = 'tenant.purge-requested'", [due])).toHaveLength(1);
    const waiting = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'created'`, [retentionSweepQueue.name]);
    expect(waiting[0]!.n).toBeLessThanOrEqual(1);
  });
});
