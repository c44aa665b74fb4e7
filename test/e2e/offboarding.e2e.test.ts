/**
 * Offboarding through the gateway with every worker running, on a tenant of this suite's own with
 * rows in all four domains: offboardTenant makes each domain archive the tenant's rows (NDJSON,
 * counted per table, hashed) and the tenant reach OFFBOARDED; a platform admin downloads each
 * archive — the bytes hash to what was recorded, and the download is audited — while a tenant
 * admin, a clinician, an API key and an anonymous caller are refused. Once the tenant's retention
 * has passed, the purge deletes its rows in every domain (counted with the admin connection), its
 * archives' bytes with them, and audits the counts; its row and audit log stay. Exporting or
 * purging again changes nothing, and an OFFBOARDED tenant is never made ACTIVE again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../lib/db/index.js';
import { JobProducer } from '../../lib/jobs/enqueue.js';
import { jobsOf, waitFor } from '../../lib/jobs/test-support.js';
import { createLogger } from '../../lib/logger.js';
import type { RunningWorker } from '../../lib/services.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { DATA_DOMAINS, offboardingQueue, type DataDomain } from '../../lib/workflows/offboarding.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as erpWorker from '../../subgraphs/erp/worker.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, bindingKey, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

const SCHEMA: Record<DataDomain, string> = { tenancy: 'tenancy', erp: 'erp', 'clinical-ops': 'clinical_ops', observability: 'observability' };

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
let producer: JobProducer & { close(): Promise<void> };
let db: Database;
const scratch: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  const url = appUrl(adminUrl(), TEST_APP_PASSWORD);
  workers = await startTestWorkers([tenancyWorker, erpWorker, clinicalWorker, observabilityWorker]);
  producer = await JobProducer.open({ url, bindingKey: bindingKey(), logger: createLogger('offboarding-test', 'silent') });
  db = new Database({ url, schema: 'tenancy', poolSize: 2, bindingKey: bindingKey() });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await producer?.close();
  await db?.close();
  await platform?.close();
  await dropScratchTenants(scratch);
});

const admin = () => bearer(['platform_admin'], { subject: 'offboarding-admin' });

interface Offboarding {
  status: string;
  offboardedAt: string | null;
  purgeAfter: string | null;
  purgedAt: string | null;
  exports: { domain: string; status: string; rowCount: number; bytes: number; sha256: string | null; downloadUrl: string | null; tables: { table: string; rows: number }[] }[];
  purge: { domain: string; table: string; rows: number }[];
}

const OFFBOARDING = `offboarding { status offboardedAt purgeAfter purgedAt
  exports { domain status rowCount bytes sha256 completedAt downloadUrl tables { table rows } }
  purge { domain table rows } }`;

async function tenantOf(id: string) {
  const response = await graphql<{ tenant: { status: string; offboarding: Offboarding | null } }>(platform.gateway.url, `query T($id: ID!) { tenant(id: $id) { status ${OFFBOARDING} } }`, {
    variables: { id },
    headers: await admin(),
  });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.tenant;
}

async function mutate(mutation: string, id: string) {
  return graphql<Record<string, { status: string }>>(platform.gateway.url, `mutation M($id: ID!) { ${mutation}(id: $id) { status } }`, { variables: { id }, headers: await admin() });
}

const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((error) => error.extensions?.code);

/** Every tenant row of every tenant table of each domain, by table: what the admin sees. */
async function rowsOf(tenantId: string): Promise<Record<DataDomain, Record<string, number>>> {
  const result = {} as Record<DataDomain, Record<string, number>>;
  for (const domain of DATA_DOMAINS) {
    const tables = await adminQuery<{ name: string }>(
      `SELECT c.table_name AS name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.column_name = 'tenant_id' AND c.table_schema = $1 AND t.table_type = 'BASE TABLE' ORDER BY 1`,
      [SCHEMA[domain]],
    );
    result[domain] = {};
    for (const { name } of tables) {
      result[domain][name] = (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA[domain]}.${name} WHERE tenant_id = $1`, [tenantId]))[0]!.n;
    }
  }
  return result;
}

/** Rows in all four domains for `tenantId`, written as the owner would: members, erp records, patients and visits, telemetry. */
async function seedRows(tenantId: string): Promise<void> {
  await adminQuery(
    `INSERT INTO tenancy.tenant_members (id, tenant_id, email, roles, status, invited_by) VALUES ($1, $2, 'leaving@clinic.example', ARRAY['tenant_admin'], 'invited', 'test')`,
    [randomUUID(), tenantId],
  );
  await adminQuery(
    `INSERT INTO erp.contracts (id, tenant_id, plan_code, term_months, value_minor, currency, auto_renew, signed_at) VALUES ($1, $2, 'standard', 12, 598800, 'USD', false, now())`,
    [randomUUID(), tenantId],
  );
  await adminQuery(`INSERT INTO erp.invoice_schedules (tenant_id, cadence, next_period_start) VALUES ($1, 'monthly', '2031-01-01')`, [tenantId]);
  const patients = [randomUUID(), randomUUID()];
  for (const [index, id] of patients.entries()) {
    await adminQuery(
      `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date) VALUES ($1, $2, $3, 'Ada', 'Leaving', '1970-01-01')`,
      [id, tenantId, `MRN-OFF-${index}`],
    );
  }
  for (const patient of [patients[0], patients[0], patients[1]]) {
    await adminQuery(
      `INSERT INTO clinical_ops.appointments (id, tenant_id, patient_id, starts_at, duration_minutes, status, reason) VALUES ($1, $2, $3, now(), 30, 'completed', 'Checkup')`,
      [randomUUID(), tenantId, patient],
    );
  }
  await adminQuery(`INSERT INTO clinical_ops.workspace_workflows (tenant_id, workflow) VALUES ($1, 'claims')`, [tenantId]);
  for (let i = 0; i < 4; i += 1) {
    await adminQuery(
      `INSERT INTO observability.request_telemetry (tenant_id, occurred_at, operation_name, client_name, duration_ms, outcome) VALUES ($1, now(), 'Dashboard', 'web', 42, 'ok')`,
      [tenantId],
    );
  }
}

async function download(tenantId: string, domain: string, headers: Record<string, string>) {
  const response = await fetch(new URL(`/exports/${tenantId}/${domain}.ndjson`, platform.gateway.url), { headers });
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

/** Runs `action` for `tenantId` on every domain's offboarding queue again, as a retried job would, and waits until each has completed. */
async function runAgain(tenantId: string, action: 'export' | 'purge'): Promise<void> {
  const context: TenantContext = {
    requestId: `offboarding-again-${randomUUID()}`,
    access: 'tenant',
    tenantId,
    principal: { id: 'service:offboarding-test', kind: 'service' },
    roles: [],
    scopes: [],
    entitlements: [],
  };
  const ids = await db.withTenant(context, async (tx) => {
    const queued: [string, string][] = [];
    for (const domain of DATA_DOMAINS) queued.push([offboardingQueue(domain).name, await producer.enqueue(tx, offboardingQueue(domain), context, { tenantId, action })]);
    return queued;
  });
  for (const [queue, id] of ids) {
    await waitFor(`${queue} ${action} again`, async () => (await jobsOf(adminUrl(), queue, id)).some((job) => job.state === 'completed'));
  }
}

const outboxCount = (tenantId: string, suffix: string) =>
  Promise.all(DATA_DOMAINS.map(async (domain) => (await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCHEMA[domain]}.outbox WHERE tenant_id = $1 AND type LIKE $2`, [tenantId, `%${suffix}`]))[0]!.n));

const auditOf = (tenantId: string) =>
  adminQuery<{ action: string; actor_id: string; actor_kind: string; detail: Record<string, unknown> }>(
    'SELECT action, actor_id, actor_kind, detail FROM tenancy.audit_log WHERE tenant_id = $1 ORDER BY seq',
    [tenantId],
  );

describe('offboarding a tenant', () => {
  it('exports every domain, serves the archives to platform admins only, and purges once the retention has passed', async () => {
    const tenantId = await scratchTenant('Offboarding Test Clinic');
    scratch.push(tenantId);
    expect((await mutate('activateTenant', tenantId)).body.data?.activateTenant?.status).toBe('ACTIVE');
    await seedRows(tenantId);
    // The platform's own rows for a new tenant settle first: tenancy's escalation sync publishes
    // its policy, observability copies it and erp its tier (seconds), and erp records the
    // activation as a milestone, so the counts below stay still.
    await waitFor('the tenant’s escalation policy copied', async () =>
      (await adminQuery('SELECT 1 FROM observability.escalation_policies WHERE tenant_id = $1', [tenantId])).length > 0 &&
      (await adminQuery('SELECT 1 FROM erp.tenant_tiers WHERE tenant_id = $1', [tenantId])).length > 0 &&
      (await adminQuery(`SELECT 1 FROM erp.implementation_milestones WHERE tenant_id = $1 AND milestone = 'contract_activated'`, [tenantId])).length > 0
        ? true
        : undefined,
    );
    const before = await rowsOf(tenantId);
    expect(before['clinical-ops']).toMatchObject({ patients: 2, appointments: 3, workspace_workflows: 1 });

    expect((await mutate('offboardTenant', tenantId)).body.data?.offboardTenant?.status).toBe('OFFBOARDING');
    const offboarded = await waitFor('OFFBOARDED', async () => {
      const tenant = await tenantOf(tenantId);
      return tenant.status === 'OFFBOARDED' && tenant;
    }, 30_000);
    const offboarding = offboarded.offboarding!;
    expect(offboarding.status).toBe('OFFBOARDED');
    expect(offboarding.exports.map((entry) => [entry.domain, entry.status])).toEqual(DATA_DOMAINS.map((domain) => [domain, 'COMPLETED']));
    expect(Date.parse(offboarding.purgeAfter!) - Date.parse(offboarding.offboardedAt!)).toBe(365 * 86_400_000);

    // Each archive counts every tenant table of its domain but the internals, as the admin counts them.
    const internal = new Set(['outbox', 'processed_events', 'tenant_exports', 'offboarding_domains']);
    for (const entry of offboarding.exports) {
      const domain = entry.domain as DataDomain;
      const counted = Object.fromEntries(entry.tables.map(({ table, rows }) => [table, rows]));
      const expected = Object.fromEntries(Object.entries(before[domain]).filter(([table]) => !internal.has(table)));
      if (domain === 'tenancy') {
        // The audit log and chain grew while offboarding (the moves themselves): the archive holds them as they were then.
        for (const table of ['audit_log', 'audit_chains']) expect(counted[table], table).toBeGreaterThanOrEqual(expected[table]!);
        expect({ ...counted, audit_log: 0, audit_chains: 0 }).toEqual({ ...expected, audit_log: 0, audit_chains: 0 });
      } else {
        expect(counted, domain).toEqual(expected);
      }
      expect(entry.rowCount).toBe(Object.values(counted).reduce((a, b) => a + b, 0));

      // The bytes served are the bytes recorded: one NDJSON line per row, each of this tenant.
      const served = await download(tenantId, domain, await admin());
      expect(served.status, domain).toBe(200);
      expect(served.type).toMatch(/^application\/x-ndjson/);
      expect(served.bytes.byteLength).toBe(entry.bytes);
      expect(createHash('sha256').update(served.bytes).digest('hex')).toBe(entry.sha256);
      const lines = served.bytes.toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { table: string; row: { tenant_id: string } });
      expect(lines).toHaveLength(entry.rowCount);
      expect(new Set(lines.map((line) => line.row.tenant_id))).toEqual(new Set([tenantId]));
      for (const [table, rows] of Object.entries(counted)) expect(lines.filter((line) => line.table === table), table).toHaveLength(rows);
      expect(entry.downloadUrl).toBe(`/exports/${tenantId}/${domain}.ndjson`);
    }
    const clinicalArchive = (await download(tenantId, 'clinical-ops', await admin())).bytes.toString('utf8');
    expect(clinicalArchive).toContain('MRN-OFF-0');

    // Anyone but a platform admin is refused, with the platform's JSON error; unknown archives are 404.
    const refusals: [string, Record<string, string>, number, string][] = [
      ['a tenant admin', await bearer(['tenant_admin'], { tenantId }), 403, 'TENANT_FORBIDDEN'],
      ['a clinician', await bearer(['clinician'], { tenantId }), 403, 'TENANT_FORBIDDEN'],
      ['support staff', await bearer(['support']), 403, 'TENANT_FORBIDDEN'],
      ['an API key', { 'x-api-key': 'cgk_not_a_real_key' }, 403, 'TENANT_FORBIDDEN'],
      ['nobody', {}, 401, 'UNAUTHENTICATED'],
    ];
    for (const [who, headers, status, code] of refusals) {
      const refused = await download(tenantId, 'clinical-ops', headers);
      expect(refused.status, who).toBe(status);
      const body = JSON.parse(refused.bytes.toString('utf8')) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code, who).toBe(code);
      expect(refused.bytes.toString('utf8'), who).not.toContain('MRN-OFF');
    }
    expect((await download(tenantId, 'billing', await admin())).status).toBe(404);
    expect((await download(randomUUID(), 'erp', await admin())).status).toBe(404);

    // Each download by the platform admin is in the tenant's audit chain, with the archive's hash.
    const downloads = (await auditOf(tenantId)).filter((entry) => entry.action === 'export.downloaded');
    expect(downloads).toHaveLength(DATA_DOMAINS.length + 1);
    expect(downloads.every((entry) => entry.actor_id === 'user:offboarding-admin')).toBe(true);
    expect(downloads[0]!.detail).toEqual({ domain: 'tenancy', bytes: offboarding.exports[0]!.bytes, sha256: offboarding.exports[0]!.sha256 });

    // Exporting again changes nothing: one archive and one report per domain.
    const archives = await adminQuery('SELECT tenant_id, sha256 FROM tenancy.tenant_exports WHERE tenant_id = $1', [tenantId]);
    await runAgain(tenantId, 'export');
    expect(await outboxCount(tenantId, '.export.completed')).toEqual([1, 1, 1, 1]);
    expect(await adminQuery('SELECT tenant_id, sha256 FROM tenancy.tenant_exports WHERE tenant_id = $1', [tenantId])).toEqual(archives);
    expect((await auditOf(tenantId)).filter((entry) => entry.action === 'export.completed')).toHaveLength(4);

    // OFFBOARDED is the end of the line; its data is kept until its retention has passed.
    for (const mutation of ['activateTenant', 'resumeTenant', 'offboardTenant']) expect(codesOf(await mutate(mutation, tenantId)), mutation).toEqual(['INVALID_TRANSITION']);
    const early = await mutate('purgeTenantNow', tenantId);
    expect(codesOf(early)).toEqual(['INVALID_TRANSITION']);
    expect(early.body.errors![0]!.extensions).toMatchObject({ from: 'OFFBOARDED', to: 'PURGED', purgeAfter: offboarding.purgeAfter });
    expect(codesOf(await graphql(platform.gateway.url, 'mutation M($id: ID!) { purgeTenantNow(id: $id) { status } }', { variables: { id: tenantId }, headers: await bearer(['support']) }))).toEqual([
      'INSUFFICIENT_SCOPE',
    ]);
    expect((await rowsOf(tenantId))['clinical-ops']).toMatchObject({ patients: 2, appointments: 3 });

    // The retention passes (as if 366 days went by): the hourly sweep, or an admin at once, requests the purge.
    await adminQuery("UPDATE tenancy.tenants SET offboarded_at = now() - interval '366 days' WHERE id = $1", [tenantId]);
    const requested = await mutate('purgeTenantNow', tenantId);
    expect(requested.body.errors).toBeUndefined();
    const purged = await waitFor('PURGED', async () => {
      const tenant = await tenantOf(tenantId);
      return tenant.offboarding?.status === 'PURGED' && tenant;
    }, 30_000);
    expect(purged.status).toBe('OFFBOARDED');

    // Every domain's rows are gone; tenancy keeps the tenant row and its audit record.
    const after = await rowsOf(tenantId);
    const kept = new Set(['tenants', 'audit_log', 'audit_chains', 'security_events', 'offboarding_domains', 'outbox', 'processed_events', 'tenant_exports']);
    for (const domain of DATA_DOMAINS) {
      for (const [table, rows] of Object.entries(after[domain])) if (!kept.has(table)) expect(rows, `${domain} ${table}`).toBe(0);
    }
    expect(after.tenancy).toMatchObject({ tenants: 1 });
    expect(after.tenancy.audit_log).toBeGreaterThan(0);
    const archivesLeft = await Promise.all(
      DATA_DOMAINS.map(async (domain) => (await adminQuery<{ archive: Buffer | null; purged: boolean }>(`SELECT archive, purged_at IS NOT NULL AS purged FROM ${SCHEMA[domain]}.tenant_exports WHERE tenant_id = $1`, [tenantId]))[0]),
    );
    expect(archivesLeft).toEqual(DATA_DOMAINS.map(() => ({ archive: null, purged: true })));
    expect((await download(tenantId, 'clinical-ops', await admin())).status).toBe(404);
    expect(purged.offboarding!.exports.every((entry) => entry.status === 'PURGED' && entry.downloadUrl === null)).toBe(true);

    // The purge's counts, in the graph and in the audit chain: what was there, table by table, never content.
    const purgedCounts = Object.fromEntries(purged.offboarding!.purge.map((entry) => [`${entry.domain} ${entry.table}`, entry.rows]));
    expect(purgedCounts).toMatchObject({ 'clinical-ops patients': 2, 'clinical-ops appointments': 3, 'erp contracts': 1, 'observability request_telemetry': 4, 'tenancy tenant_members': 1, 'erp tenant_exports': 1 });
    const [entry, ...more] = (await auditOf(tenantId)).filter((audit) => audit.action === 'tenant.purged');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ actor_kind: 'service', detail: { tables: { 'clinical-ops': { patients: 2, appointments: 3 }, erp: { contracts: 1, invoice_schedules: 1 } } } });
    expect(JSON.stringify(entry)).not.toMatch(/MRN-OFF|Leaving|leaving@/);
    // Requested once, by whichever came first: the admin, or the sweep (every few seconds in tests).
    const requests = (await auditOf(tenantId)).filter((audit) => audit.action === 'tenant.purge-requested');
    expect(requests).toHaveLength(1);
    expect(['operator', 'retention_sweep']).toContain(requests[0]!.detail.by);

    // Purging again changes nothing: no second report, no second audit entry.
    await runAgain(tenantId, 'purge');
    expect(await outboxCount(tenantId, '.purge.completed')).toEqual([1, 1, 1, 1]);
    expect((await auditOf(tenantId)).filter((audit) => audit.action === 'tenant.purged')).toHaveLength(1);
    expect(codesOf(await mutate('purgeTenantNow', tenantId))).toEqual([]);
    expect((await auditOf(tenantId)).filter((audit) => audit.action === 'tenant.purge-requested')).toHaveLength(1);
    expect(codesOf(await mutate('activateTenant', tenantId))).toEqual(['INVALID_TRANSITION']);
  }, 120_000); // four domains export, report and purge in turn, through their workers
});
