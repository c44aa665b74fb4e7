/**
 * Through the gateway, against the real database: one query reads a tenant's profile,
 * subscription, clinical summary and health from the four subgraphs, and the answers match
 * the rows; listing 100 tenants with every extension costs a bounded number of SQL
 * statements per subgraph.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphName } from '../../lib/config.js';
import { regionDatabaseUrl, tenantDatabaseName } from '../../lib/db/tenant-databases.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { seedDemo } from '../../scripts/platform.js';
import { adminClient, adminUrl, bearer, graphql, startTestPlatform } from '../support/platform.js';

const DASHBOARD = /* GraphQL */ `
  query Dashboard($id: ID!) {
    tenant(id: $id) {
      id slug name segment tier region placement cohort status createdAt
      subscription { status startedAt plan { code name features } }
      clinicalSummary { patientCount upcomingAppointmentCount }
      health(windowMinutes: 1440) { availability errorRate p95LatencyMs requestCount windowMinutes }
    }
  }
`;

const FLEET = /* GraphQL */ `
  query Fleet($first: Int!) {
    tenants(first: $first) {
      totalCount
      edges { node { id name subscription { plan { code } } clinicalSummary { patientCount } health { availability } } }
    }
  }
`;

/** The tenancy.tenants columns the dashboard shows. */
interface TenantRow {
  id: string;
  slug: string;
  name: string;
  segment: string;
  region: string;
  placement: string;
  cohort: string;
  created_at: Date;
}

let platform: InProcessPlatform;
let admin: pg.Client;

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await adminClient();
});
afterAll(async () => {
  await admin?.end();
  await platform?.close();
});

describe('tenant dashboard across four subgraphs', () => {
  it('returns values equal to the rows of each subgraph', async () => {
    const { rows: [found] } = await admin.query<TenantRow>(
      "SELECT * FROM tenancy.tenants WHERE status = 'active' AND tier = 'critical' ORDER BY slug LIMIT 1",
    );
    const tenant = found!;
    const response = await graphql<{ tenant: Record<string, unknown> }>(platform.gateway.url, DASHBOARD, {
      variables: { id: tenant.id },
      headers: await bearer(['tenant_admin'], { tenantId: tenant.id }),
    });
    expect(response.body.errors).toBeUndefined();
    const got = response.body.data!.tenant;

    expect(got).toMatchObject({
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      segment: tenant.segment.toUpperCase(),
      tier: 'CRITICAL',
      region: tenant.region,
      placement: tenant.placement.toUpperCase(),
      cohort: tenant.cohort.toUpperCase(),
      status: 'ACTIVE',
      createdAt: tenant.created_at.toISOString(),
    });

    const { rows: [subscription] } = await admin.query<{ status: string; started_at: Date; code: string; name: string; features: string[] }>(
      `SELECT s.status, s.started_at, p.code, p.name, p.features
         FROM erp.subscriptions s JOIN erp.plans p ON p.code = s.plan_code WHERE s.tenant_id = $1`,
      [tenant.id],
    );
    expect(got.subscription).toEqual({
      status: subscription!.status.toUpperCase(),
      startedAt: subscription!.started_at.toISOString(),
      plan: { code: subscription!.code, name: subscription!.name, features: subscription!.features },
    });

    // A critical tenant is ISOLATED: its clinical rows are in its own database.
    const own = new pg.Client({ connectionString: regionDatabaseUrl(adminUrl(), {}, tenant.region, tenantDatabaseName(adminUrl(), tenant.region, tenant.id)) });
    await own.connect();
    const { rows: [clinical] } = await own.query<{ patients: number; upcoming: number }>(
      `SELECT (SELECT count(*)::int FROM clinical_ops.patients WHERE tenant_id = $1) AS patients,
              (SELECT count(*)::int FROM clinical_ops.appointments
                WHERE tenant_id = $1 AND status = 'scheduled' AND starts_at >= now()) AS upcoming`,
      [tenant.id],
    );
    await own.end();
    expect(clinical!.patients).toBeGreaterThan(0);
    expect(got.clinicalSummary).toEqual({ patientCount: clinical!.patients, upcomingAppointmentCount: clinical!.upcoming });

    const { rows: [telemetry] } = await admin.query<{ total: number; errors: number; p95: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE outcome = 'error')::int AS errors,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
         FROM observability.request_telemetry WHERE tenant_id = $1 AND occurred_at >= now() - interval '1440 minutes'`,
      [tenant.id],
    );
    const health = telemetry!;
    expect(health.total).toBeGreaterThan(0);
    expect(got.health).toEqual({
      availability: 1 - health.errors / health.total,
      errorRate: health.errors / health.total,
      p95LatencyMs: health.p95,
      requestCount: health.total,
      windowMinutes: 1440,
    });
  });

  it('follows a subscription back to its tenant across three plan stages', async () => {
    const response = await graphql<{ tenants: { edges: { node: { id: string; subscription: { tenant: { id: string; health: { requestCount: number } } } } }[] } }>(
      platform.gateway.url,
      '{ tenants(first: 5) { edges { node { id subscription { tenant { id health { requestCount } } } } } } }',
      { headers: await bearer(['platform_admin']) },
    );
    expect(response.body.errors).toBeUndefined();
    for (const { node } of response.body.data!.tenants.edges) {
      expect(node.subscription.tenant.id).toBe(node.id);
      expect(node.subscription.tenant.health.requestCount).toBeGreaterThan(0);
    }
  });

  it('refuses bad arguments with BAD_USER_INPUT and no data', async () => {
    const admin = await bearer(['platform_admin']);
    const badId = await graphql(platform.gateway.url, DASHBOARD, { variables: { id: 'not-a-uuid' }, headers: admin });
    expect(badId.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badId.body.data?.tenant ?? null).toBeNull();

    // Over tenancy's page size (500) yet within the operation cost budget: tenancy refuses it.
    const tooMany = await graphql(platform.gateway.url, FLEET, { variables: { first: 1_000 }, headers: admin });
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.text).not.toContain('stack');
  });
});

describe('N+1: statements per subgraph do not grow with the page size', () => {
  const statementsFor = async (first: number): Promise<Record<SubgraphName, number>> => {
    const before = snapshot();
    const response = await graphql<{ tenants: { edges: unknown[] } }>(platform.gateway.url, FLEET, {
      variables: { first },
      headers: await bearer(['platform_admin']),
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.tenants.edges).toHaveLength(first);
    const after = snapshot();
    return Object.fromEntries(
      Object.keys(after).map((name) => [name, after[name as SubgraphName] - before[name as SubgraphName]]),
    ) as Record<SubgraphName, number>;
  };
  const snapshot = () =>
    Object.fromEntries(
      Object.entries(platform.subgraphs).map(([name, service]) => [name, service.db!.statementCount]),
    ) as Record<SubgraphName, number>;

  it('tenants(first: 100) with all four extensions issues the same few statements as first: 5', async () => {
    await seedDemo(adminUrl(), { tenants: 120 });
    const small = await statementsFor(5);
    const large = await statementsFor(100);
    expect(large).toEqual(small);
    for (const [name, count] of Object.entries(large)) {
      // BEGIN + SET ROLE + set_config, one query, COMMIT. Clinical-ops reads the page's isolated
      // tenants' routes first, then counts the pooled ones (each isolated tenant is counted in its
      // own database, one transaction there).
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(name === 'clinical-ops' ? 10 : 5);
    }
  }, 120_000); // seeding 80 more tenants first takes its time on a loaded machine
});
