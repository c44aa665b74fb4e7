/**
 * Row-level security, checked as the application role with plain SQL (no WHERE clauses): a
 * transaction bound to tenant A sees none of tenant B's rows, one with no tenant sees nothing,
 * and every table of the database is either under a policy whose helper calls are evaluated
 * once per statement, or listed below as platform-owned with the reason it needs none.
 * (Forged bindings: binding.int.test.ts.)
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, appClient, bindTransaction } from '../../test/support/platform.js';
import type { BindingAccess } from './binding.js';
import { PGBOSS_SCHEMA } from '../jobs/boss.js';
import { SERVICE_LIST } from '../services.js';
import { APP_ROLE, SHARED_SCHEMA } from './roles.js';

/** The schemas the services migrate: the application role gets every table in them by default. */
const SUBGRAPH_SCHEMAS = SERVICE_LIST.flatMap((service) => (service.database ? [service.database.schema] : []));

/**
 * Tables of the subgraph schemas without row-level security, each with why it needs none.
 * Each must also be read-only to the application role (checked below): a table every tenant
 * can read must be one no tenant can write. A new table goes under RLS, or here, reviewed.
 */
const PLATFORM_OWNED_TABLES: Record<string, string> = {
  'erp.plans': 'the plan catalog: reference data, the same for every tenant',
  'erp.currencies': 'the currencies billed in and their issuers: reference data, the same for every tenant',
  'erp.catalog_versions': 'the versions of the commercial catalog: reference data, the same for every tenant',
  'erp.plan_prices': 'plan prices per catalog version and currency: reference data, the same for every tenant',
  'erp.addons': 'the add-on catalog: reference data, the same for every tenant',
  'erp.addon_prices': 'add-on prices per catalog version and currency: reference data, the same for every tenant',
  'erp.meters': 'what usage is metered: reference data, the same for every tenant',
  'erp.plan_meter_prices': 'included usage and overage prices per plan: reference data, the same for every tenant',
  'erp.dunning_policy': 'when an unpaid invoice moves a subscription to past due and a tenant to suspension: policy data, the same for every tenant',
  'erp.document_sequences': 'the next invoice and credit-note number per issuer, no tenant data; the application role takes numbers only through erp.next_document_number',
  'erp.procurement_thresholds': 'the amount per currency above which a purchase order needs four eyes: policy data, the same for every tenant',
  'erp.purchase_order_sequences': 'the next purchase-order number per issuer, no tenant data; the application role takes numbers only through erp.next_purchase_order_number',
  'tenancy.governed_settings': 'which tenant settings are protected and release-gated: policy data, the same for every tenant',
  'tenancy.release_windows': 'the weekly release window of each tier: policy data, the same for every tenant',
  'tenancy.regions': 'the data-residency regions the platform serves: policy data, the same for every tenant',
  'tenancy.escalation_rules': 'the escalation rules of each tier: policy data, the same for every tenant',
  'tenancy.segment_templates': 'the provisioning defaults of each care segment: policy data, the same for every tenant',
  'clinical_ops.payers': 'the payer directory coverages name: reference data, the same for every tenant (each tenant database gets it from the migration)',
  'clinical_ops.workflow_retry_policies': 'the retry policy of each clinical workflow (attempts, backoff, what is retried): policy data, the same for every tenant',
  'observability.slo_class_objectives': 'the objectives of each SLO class: policy data, the same for every tenant',
  'gateway.rate_limit_counters':
    "the gateway's rate-limit counters: request counts per key, user and tenant bucket, no tenant data; the application role has no privilege on it, only the gateway role (gateway/migrations/)",
};

/** Tables no policy needs in any schema: the application role cannot touch them. */
const BOOKKEEPING_TABLES: Record<string, string> = {
  schema_migrations: 'which migrations ran; the application role has no privilege on it (lib/db/migrate.ts)',
};

/** Schemas outside the subgraphs, and why their tables are not under row-level security. */
const PLATFORM_SCHEMAS: Record<string, string> = {
  [SHARED_SCHEMA]: 'the binding key and the policy helpers; the key table grants nothing to the application role (lib/db/roles.ts)',
  [PGBOSS_SCHEMA]:
    "pg-boss's own job tables, whose queries pg-boss writes (no tenant binding per statement): a worker runs only jobs whose signed claims verify (lib/jobs/signing.ts)",
};

/** Schemas of PostgreSQL itself. */
const SYSTEM_SCHEMA = /^(pg_catalog|information_schema|pg_toast.*|pg_temp_\d+)$/;

interface Relation {
  schema: string;
  table: string;
  kind: string;
  rls: boolean;
  policies: number;
  securityInvoker: boolean;
  appWrites: boolean;
}

/**
 * Every table, partitioned table, view and foreign table the catalog knows that row-level
 * security does not cover and no list above excuses, with what is wrong with it.
 */
async function unguardedRelations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<Relation>(
    `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind, c.relrowsecurity AS rls,
            (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
            coalesce('security_invoker=true' = ANY (c.reloptions), false) AS "securityInvoker",
            has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS "appWrites"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
      ORDER BY 1, 2`,
    [APP_ROLE],
  );
  const problems: string[] = [];
  for (const relation of rows) {
    const name = `${relation.schema}.${relation.table}`;
    if (SYSTEM_SCHEMA.test(relation.schema) || relation.schema in PLATFORM_SCHEMAS) continue;
    if (relation.table in BOOKKEEPING_TABLES) {
      if (relation.appWrites) problems.push(`${name}: bookkeeping, but the application role may write it`);
    } else if (!SUBGRAPH_SCHEMAS.includes(relation.schema)) {
      problems.push(`${name}: in schema ${relation.schema}, which is neither a subgraph's nor listed as platform-owned`);
    } else if (name in PLATFORM_OWNED_TABLES) {
      if (relation.appWrites) problems.push(`${name}: listed as platform-owned, but the application role may write it`);
    } else if (relation.kind === 'v') {
      // A view runs with its owner's rights, and the owner is not subject to RLS, unless it is a security_invoker view.
      if (!relation.securityInvoker) problems.push(`${name}: a view without security_invoker, which reads past row-level security`);
    } else if (relation.kind === 'm' || relation.kind === 'f') {
      problems.push(`${name}: a materialized view or foreign table, which row-level security cannot cover`);
    } else if (!relation.rls) {
      problems.push(`${name}: row-level security is not enabled (enable it with a policy, or list the table as platform-owned with a reason)`);
    } else if (relation.policies === 0) {
      problems.push(`${name}: row-level security is enabled but no policy exists`);
    }
  }
  return problems;
}

let admin: pg.Client;
let app: pg.Client;
let tenantTables: { schema: string; table: string }[];
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  admin = await adminClient();
  app = await appClient();
  const { rows } = await admin.query<{ schema: string; table: string }>(
    `SELECT c.table_schema AS schema, c.table_name AS table
       FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
        AND c.table_schema = ANY ($1)
      ORDER BY 1, 2`,
    [SUBGRAPH_SCHEMAS],
  );
  tenantTables = rows;
  // Pooled tenants: an isolated tenant's clinical rows are in its own database, not these tables.
  const tenants = await admin.query<{ id: string }>("SELECT id FROM tenancy.tenants WHERE placement = 'pooled' ORDER BY slug LIMIT 2");
  [tenantA, tenantB] = tenants.rows.map((row) => row.id) as [string, string];
});
afterAll(async () => {
  await app?.end();
  await admin?.end();
});

async function asApp<T>(settings: { tenantId?: string; access?: BindingAccess }, work: () => Promise<T>): Promise<T> {
  await app.query('BEGIN');
  try {
    if (settings.access) await bindTransaction(app, { access: settings.access, tenantId: settings.tenantId ?? '' });
    return await work();
  } finally {
    await app.query('ROLLBACK');
  }
}

describe('row-level security', () => {
  it('knows the schemas of every subgraph from the service registry', () => {
    expect(SUBGRAPH_SCHEMAS).toEqual(expect.arrayContaining(['tenancy', 'erp', 'clinical_ops', 'observability']));
  });

  it('covers every table of every schema, except the platform-owned ones listed with a reason', async () => {
    expect(await unguardedRelations(admin)).toEqual([]);
  });

  it('lists only tables that exist', async () => {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE schemaname || '.' || tablename = ANY ($1)`,
      [Object.keys(PLATFORM_OWNED_TABLES)],
    );
    expect(rows.map((row) => row.name).sort()).toEqual(Object.keys(PLATFORM_OWNED_TABLES).sort());
  });

  it('catches a new table without RLS, or with RLS and no policy, and a view that reads past it', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query(`CREATE TABLE erp.outbox_probe (id uuid PRIMARY KEY, tenant_id uuid NOT NULL)`);
      await admin.query(`CREATE TABLE tenancy.settings_probe (id uuid PRIMARY KEY); ALTER TABLE tenancy.settings_probe ENABLE ROW LEVEL SECURITY`);
      await admin.query(`CREATE VIEW clinical_ops.patients_probe AS SELECT id FROM clinical_ops.patients`);
      await admin.query(`CREATE SCHEMA events_probe; CREATE TABLE events_probe.processed (id uuid PRIMARY KEY)`);
      const problems = await unguardedRelations(admin);
      expect(problems).toEqual([
        expect.stringMatching(/^clinical_ops\.patients_probe: a view without security_invoker/),
        expect.stringMatching(/^erp\.outbox_probe: row-level security is not enabled/),
        expect.stringMatching(/^events_probe\.processed: in schema events_probe/),
        expect.stringMatching(/^tenancy\.settings_probe: row-level security is enabled but no policy/),
      ]);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('reads the tenant-owned tables of every subgraph in the isolation checks below', () => {
    expect(tenantTables.map((t) => `${t.schema}.${t.table}`)).toEqual(
      expect.arrayContaining(['tenancy.tenants', 'erp.subscriptions', 'clinical_ops.patients', 'clinical_ops.appointments', 'observability.request_telemetry']),
    );
  });

  it('calls the binding helpers only as InitPlans, once per statement (not once per row)', async () => {
    const { rows } = await admin.query<{ policy: string; expression: string }>(
      `SELECT schemaname || '.' || tablename || ' ' || policyname AS policy, coalesce(qual, '') || ' ' || coalesce(with_check, '') AS expression
         FROM pg_policies WHERE schemaname = ANY ($1)`,
      [SUBGRAPH_SCHEMAS],
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const { policy, expression } of rows) {
      const calls = expression.match(/caregraph\.\w+\(\)/g) ?? [];
      const initPlans = expression.match(/\(\s*SELECT caregraph\.\w+\(\)/g) ?? [];
      expect(initPlans.length, `${policy}: ${expression}`).toBe(calls.length);
    }
  });

  it('the application role cannot bypass it', async () => {
    const { rows } = await admin.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'caregraph_app'");
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  it('with tenant A set, a query without WHERE sees no row of tenant B', async () => {
    for (const { schema, table } of tenantTables) {
      const seen = await asApp({ tenantId: tenantA, access: 'tenant' }, async () =>
        (await app.query<{ tenant_id: string }>(`SELECT DISTINCT tenant_id FROM ${schema}.${table}`)).rows.map((r) => r.tenant_id),
      );
      expect(seen.every((id) => id === tenantA), `${schema}.${table}`).toBe(true);
      expect(seen).not.toContain(tenantB);
    }
    const patientsOfA = await asApp({ tenantId: tenantA, access: 'tenant' }, async () =>
      (await app.query('SELECT count(*)::int AS n FROM clinical_ops.patients')).rows[0].n,
    );
    expect(patientsOfA).toBeGreaterThan(0);
  });

  it('with no tenant set, it sees nothing', async () => {
    for (const { schema, table } of tenantTables) {
      const count = await asApp({}, async () => (await app.query(`SELECT count(*)::int AS n FROM ${schema}.${table}`)).rows[0].n);
      expect(count, `${schema}.${table}`).toBe(0);
    }
    // Outside any transaction setting, too.
    expect((await app.query('SELECT count(*)::int AS n FROM clinical_ops.patients')).rows[0].n).toBe(0);
  });

  it('refuses writes of another tenant’s rows', async () => {
    await expect(
      asApp({ tenantId: tenantA, access: 'tenant' }, () =>
        app.query(
          `INSERT INTO clinical_ops.patients (id, tenant_id, mrn, given_name, family_name, birth_date)
           VALUES (gen_random_uuid(), $1, 'X-1', 'Eve', 'Sample', '2000-01-01')`,
          [tenantB],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});
