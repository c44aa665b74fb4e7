/**
 * Helpers for tests that need the database or the running platform. The database comes from
 * the global setup (see global-setup.ts); each suite starts its own services on free ports.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../lib/config.js';
import { DevIssuer } from '../../lib/auth/dev-issuer.js';
import { signBinding, type BindingClaims } from '../../lib/db/binding.js';
import { appUrl, resolveBindingKey } from '../../lib/db/index.js';
import { TEST_TUNING } from '../../lib/jobs/test-support.js';
import type { WorkerOptions } from '../../lib/jobs/worker.js';
import type { Role } from '../../lib/policy/spec.js';
import type { RunningWorker } from '../../lib/services.js';
import { startInProcess, type InProcessPlatform } from '../../scripts/platform.js';
import { TEST_APP_PASSWORD, testEnvironment } from './env.js';

export const adminUrl = (): string => inject('adminUrl');

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...testEnvironment(inject('dataDir')), ...overrides });
}

/** The whole platform in-process on free ports; `overrides` are configuration variables (CORS_ALLOWED_ORIGINS, say). */
export function startTestPlatform(overrides: Record<string, string> = {}): Promise<InProcessPlatform> {
  return startInProcess(testConfig(overrides), adminUrl());
}

/** A client connected as the admin (superuser): for reading rows to compare against, never for requests. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  return client;
}

/** One statement as the admin, on a connection of its own: for reading rows to compare against, or tampering in a test. */
export async function adminQuery<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = await adminClient();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A client connected as the application role, exactly as the services connect. */
export async function appClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: appUrl(adminUrl(), TEST_APP_PASSWORD) });
  await client.connect();
  return client;
}

/** The run's binding key: what the subgraphs sign their transactions' tenant bindings with. */
/**
 * An empty database of its own on the test server (for tests that prepare roles or migrations
 * from nothing); `drop()` removes it whatever is still connected.
 */
export async function scratchDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `caregraph_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = await adminClient();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export const bindingKey = (): string => resolveBindingKey(testConfig());

/**
 * A tenant of the calling suite's own, in PROVISIONING, for tests that change a tenant's
 * state (the seeded fleet serves every suite at once). Its slug sorts after every seeded one
 * and it has no partner and no plan, so suites that pick seeded tenants by slug, partner or
 * plan never meet it. Remove it with `dropScratchTenants`.
 */
export async function scratchTenant(name = 'Scratch Clinic', fields: { tier?: string; region?: string; cohort?: string; segment?: string } = {}): Promise<string> {
  const id = randomUUID();
  const admin = await adminClient();
  try {
    await admin.query(
      `INSERT INTO tenancy.tenants (id, slug, name, segment, tier, region, placement, cohort, status)
       VALUES ($1, $2, $3, $7, $4, $5, 'pooled', $6, 'provisioning')`,
      [id, `zz-scratch-${id.slice(0, 8)}`, name, fields.tier ?? 'standard', fields.region ?? 'us-east', fields.cohort ?? 'general', fields.segment ?? 'ambulatory'],
    );
  } finally {
    await admin.end();
  }
  return id;
}

/**
 * Points every connector of a tenant at `baseUrl` (its integration mappings' endpoint). Workers
 * of every test file fetch from the same queues, and each calls the simulators its own config
 * names for tenants without an endpoint: a test with simulators of its own (a seed, knobs,
 * receipts it counts) pins its tenants to them, so whichever worker runs their jobs calls them.
 */
export async function pinTenantIntegrations(tenantId: string, baseUrl: string): Promise<void> {
  await adminQuery(
    `INSERT INTO clinical_ops.integration_mappings (tenant_id, connector, base_url, updated_by)
     SELECT $1, connector, $2, 'test-support' FROM unnest(ARRAY['payer_eligibility', 'payer_claims', 'ehr', 'pharmacy', 'messaging']) AS c(connector)
     ON CONFLICT (tenant_id, connector) DO UPDATE SET base_url = EXCLUDED.base_url`,
    [tenantId, baseUrl],
  );
}

/** The schemas whose tenant-owned rows a scratch tenant may leave behind. */
const TENANT_SCHEMAS = ['tenancy', 'erp', 'clinical_ops', 'observability'];
/** What stays when a scratch tenant goes, as it would for a real one: its audit chain. */
const KEPT_TABLES = new Set(['tenancy.tenants', 'tenancy.audit_log', 'tenancy.audit_chains']);

/**
 * Removes scratch tenants with every row they own in any domain (events, change requests,
 * provisioning, subscriptions …), found by their `tenant_id` columns; their audit entries stay,
 * as audit entries do.
 */
export async function dropScratchTenants(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT format('%I.%I', c.table_schema, c.table_name) AS name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.column_name = 'tenant_id' AND c.table_schema = ANY ($1) AND t.table_type = 'BASE TABLE'`,
      [TENANT_SCHEMAS],
    );
    await admin.query('BEGIN');
    // Rows reference each other (a run's steps, a member's tenant): the admin removes them in any
    // order, foreign keys unchecked for this transaction only.
    await admin.query('SET LOCAL session_replication_role = replica');
    for (const { name } of rows) {
      if (!KEPT_TABLES.has(name)) await admin.query(`DELETE FROM ${name} WHERE tenant_id = ANY ($1::uuid[])`, [ids]);
    }
    await admin.query('DELETE FROM caregraph.job_holds WHERE tenant_id = ANY ($1::uuid[])', [ids]);
    await admin.query('DELETE FROM tenancy.tenants WHERE id = ANY ($1::uuid[])', [ids]);
    await admin.query('COMMIT');
    // Isolated scratch tenants' own databases (lib/db/tenant-databases.ts names them by platform, region and tenant).
    const { rows: databases } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE ANY ($1::text[])`,
      [ids.map((id) => `cg%\\_${id.replace(/-/g, '').toLowerCase()}`)],
    );
    for (const { datname } of databases) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await admin.end();
  }
}

/**
 * Sets `client`'s transaction binding as `Database.withTenant` does (call inside BEGIN). The
 * overrides forge one part: another key, another connection's pid, a past expiry.
 */
export async function bindTransaction(
  client: pg.Client,
  claims: Pick<BindingClaims, 'access'> & Partial<BindingClaims>,
  overrides: { key?: string } = {},
): Promise<string> {
  const pid = claims.pid ?? (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const binding = signBinding(overrides.key ?? bindingKey(), {
    tenantId: '',
    partnerId: '',
    expiresAt: Math.floor(Date.now() / 1000) + 60,
    ...claims,
    pid,
  });
  await client.query("SELECT set_config('caregraph.binding', $1, true)", [binding]);
  return binding;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
  text: string;
}

/** POSTs a GraphQL operation and returns status, parsed body and raw text (for leak checks). */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  options: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as GraphQLResponse<T>['body'], text };
}

/** A development token for the given roles (the gateway of the test platform accepts it). */
export async function tokenFor(
  roles: Role[],
  options: { tenantId?: string; partnerId?: string; scopes?: string[]; ttlSeconds?: number; subject?: string } = {},
): Promise<string> {
  const issuer = await DevIssuer.open(testConfig());
  return issuer.mint({ subject: options.subject ?? `test-${roles.join('-')}`, roles, ...options });
}

/** Authorization header for the given roles. */
export async function bearer(roles: Role[], options: Parameters<typeof tokenFor>[1] = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(roles, options)}` };
}

/** A service's worker module (subgraphs/<name>/worker.ts). */
interface WorkerModule {
  start(config: Config, options: Omit<WorkerOptions, 'config'>): Promise<RunningWorker>;
}

/**
 * The services' workers in this process, on the test database as the application role, polling
 * at the test tuning. Close them before the platform.
 */
export function startTestWorkers(
  modules: readonly WorkerModule[],
  options: Omit<WorkerOptions, 'config' | 'databaseUrl'> = {},
  configOverrides: Record<string, string> = {},
): Promise<RunningWorker[]> {
  const databaseUrl = appUrl(adminUrl(), TEST_APP_PASSWORD);
  return Promise.all(modules.map((worker) => worker.start(testConfig(configOverrides), { databaseUrl, tuning: TEST_TUNING, ...options })));
}
