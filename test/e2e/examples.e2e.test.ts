/**
 * The examples against the running platform (examples/), with the credentials `npm start` hands
 * out (tenant A's admin, a partner key of the demo's scopes): the frontend client reads tenant
 * A's dashboard, the partner integration lists its partner's attributed tenants and reads one's
 * usage, and the other trusted documents run for the role each is written for — each sent as a
 * trusted document (`documentId`) and as query text, and the answers compared with the rows. A
 * safelist-only key runs the integration too. Then curl.sh and the two runnable scripts, as a
 * newcomer runs them after `npm start`, print the same.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../examples/frontend/client.js';
import { fetchDashboard } from '../../examples/frontend/dashboard.js';
import { FleetHealthDocument, PatientListDocument, RevenueViewDocument } from '../../examples/frontend/src/gql/graphql.js';
import { errorAt, RequestFailedError } from '../../examples/graphql-result.js';
import { createPartnerClient } from '../../examples/partner/partner-client.js';
import { loadDocumentIds, loadDocuments } from '../../examples/persisted-documents.js';
import { DEMO_PARTNERS } from '../../lib/demo/fleet.js';
import type { Role } from '../../lib/policy/spec.js';
import { ROOT } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { DEMO_PARTNER_SCOPES, type DemoCredentials } from '../../scripts/demo-credentials.js';
import { adminClient, bearer, graphql, startTestPlatform, tokenFor } from '../support/platform.js';

const PARTNER = DEMO_PARTNERS[0]!;
type DeepPartial<T> = { [K in keyof T]?: DeepPartial<T[K]> };
const SENDS = ['documentId', 'query'] as const;

let platform: InProcessPlatform;
let admin: pg.Client;
/** Tenant A as the demo credentials pick it: partner 1's first active tenant on the standard plan. */
let tenantA: { id: string; slug: string; name: string };
/** A tenant partner 1 is not attributed. */
let tenantB: string;
let tenantAdminToken: string;
let apiKey: string;
const issuedKeys: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await adminClient();
  tenantA = (
    await admin.query<typeof tenantA>(
      `SELECT t.id, t.slug, t.name FROM tenancy.tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
        WHERE t.partner_id = $1 AND t.status = 'active' AND s.plan_code = 'standard' AND s.status = 'active' ORDER BY t.slug LIMIT 1`,
      [PARTNER.id],
    )
  ).rows[0]!;
  tenantB = (await admin.query<{ id: string }>("SELECT id FROM tenancy.tenants WHERE partner_id IS DISTINCT FROM $1 AND status = 'active' ORDER BY slug LIMIT 1", [PARTNER.id])).rows[0]!.id;
  tenantAdminToken = await tokenFor(['tenant_admin'], { tenantId: tenantA.id, subject: 'examples-tenant-admin-a' });
  apiKey = await issueDemoKey();
});
afterAll(async () => {
  // Partner 1 holds at most 25 live keys, and other suites issue theirs too.
  for (const id of issuedKeys) {
    await graphql(platform.gateway.url, 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id } }', { variables: { id }, headers: await bearer(['platform_admin']) });
  }
  await admin?.end();
  await platform?.close();
});

/**
 * A key of the demo's scopes for partner 1, as `npm start` issues one; named for this suite, so
 * other suites' keys (and the demo key's revocation by name) stay untouched.
 */
async function issueDemoKey(extra: { safelistOnly?: boolean } = {}): Promise<string> {
  const issued = await graphql<{ issueApiKey: { apiKey: { id: string }; secret: string } }>(
    platform.gateway.url,
    'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id } secret } }',
    {
      variables: { input: { partnerId: PARTNER.id, name: `examples-${randomUUID()}`, scopes: DEMO_PARTNER_SCOPES, expiresInDays: 1, ...extra } },
      headers: await bearer(['platform_admin']),
    },
  );
  expect(issued.body.errors).toBeUndefined();
  issuedKeys.push(issued.body.data!.issueApiKey.apiKey.id);
  return issued.body.data!.issueApiKey.secret;
}

/** Partner 1's attributed tenants by the database, in the API's order (slug). */
const attributedIds = async () =>
  (await admin.query<{ id: string }>('SELECT id FROM tenancy.tenants WHERE partner_id = $1 ORDER BY slug', [PARTNER.id])).rows.map((r) => r.id);

describe.each(SENDS)('frontend client, sending %s', (send) => {
  it('prints tenant A’s dashboard: the values of the rows, the plan-gated fields null with ENTITLEMENT_REQUIRED', async () => {
    const client = createClient({ url: platform.gateway.url, token: tenantAdminToken, tenantId: tenantA.id, documentIds: loadDocumentIds(), send });
    const { data, errors, status } = await fetchDashboard(client, tenantA.id);
    expect(status).toBe(200);
    const tenant = data.tenant!;
    expect(tenant).toMatchObject({ id: tenantA.id, slug: tenantA.slug, name: tenantA.name, status: 'ACTIVE' });

    const { rows: [plan] } = await admin.query<{ code: string; name: string; features: string[] }>(
      'SELECT p.code, p.name, p.features FROM erp.subscriptions s JOIN erp.plans p ON p.code = s.plan_code WHERE s.tenant_id = $1',
      [tenantA.id],
    );
    expect(tenant.subscription).toMatchObject({ status: 'ACTIVE', plan: { code: 'standard', name: plan!.name, features: plan!.features } });
    const { rows: [counts] } = await admin.query<{ patients: number }>('SELECT count(*)::int AS patients FROM clinical_ops.patients WHERE tenant_id = $1', [tenantA.id]);
    expect(tenant.clinicalSummary?.patientCount).toBe(counts!.patients);
    expect(tenant.health?.windowMinutes).toBe(1440);

    // Standard plan: no advanced_analytics. Nulled and reported, the rest kept.
    expect(tenant.clinicalSummary?.noShowRate).toBeNull();
    expect(tenant.health?.p95LatencyMs).toBeNull();
    expect(errorAt(errors, ['tenant', 'clinicalSummary', 'noShowRate'])?.code).toBe('ENTITLEMENT_REQUIRED');
    expect(errorAt(errors, ['tenant', 'health', 'p95LatencyMs'])?.code).toBe('ENTITLEMENT_REQUIRED');
    expect(errors.map((e) => e.code)).toEqual(['ENTITLEMENT_REQUIRED', 'ENTITLEMENT_REQUIRED']);
  });
});

describe.each(SENDS)('partner integration, sending %s', (send) => {
  const partnerClient = () => createPartnerClient({ url: platform.gateway.url, apiKey, documents: loadDocuments(), send });

  it('lists exactly the tenants the database attributes to the partner, across pages', async () => {
    const before = await attributedIds();
    expect(before.length).toBeGreaterThan(3);
    // A small page, so the listing follows cursors.
    const { tenants, totalCount, errors } = await partnerClient().listAttributedTenants(3);
    const after = await attributedIds();
    expect(errors).toEqual([]);
    const listed = tenants.map((t) => t.id);
    // Another suite may seed tenants meanwhile: the listing lies between the two readings.
    if (before.join() === after.join()) expect(listed).toEqual(before);
    else expect(before.every((id) => listed.includes(id)) && listed.every((id) => after.includes(id))).toBe(true);
    expect(totalCount).toBe(listed.length);
    expect(new Set(tenants.map((t) => t.partner?.id))).toEqual(new Set([PARTNER.id]));
    expect(tenants.find((t) => t.id === tenantA.id)).toMatchObject({ slug: tenantA.slug, name: tenantA.name });
  });

  it('reads an attributed tenant’s plan and health inside it, and nothing of a tenant it is not attributed', async () => {
    const client = partnerClient();
    const { data, errors } = await client.tenantUsage(tenantA.id);
    expect(data.tenant).toMatchObject({ id: tenantA.id, name: tenantA.name, subscription: { status: 'ACTIVE', plan: { code: 'standard' } } });
    expect(data.tenant?.health?.requestCount).toEqual(expect.any(Number));
    expect(errors.map((e) => [e.code, e.path])).toEqual([['ENTITLEMENT_REQUIRED', ['tenant', 'health', 'p95LatencyMs']]]);

    const refused = await client.tenantUsage(tenantB).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RequestFailedError);
    expect(refused).toMatchObject({ status: 403, codes: ['TENANT_FORBIDDEN'] });
  });
});

describe('partner integration with a safelist-only key', () => {
  it('runs by documentId, while a document of its own is refused with OPERATION_NOT_TRUSTED', async () => {
    const secret = await issueDemoKey({ safelistOnly: true });
    const { tenants } = await createPartnerClient({ url: platform.gateway.url, apiKey: secret, documents: loadDocuments() }).listAttributedTenants();
    expect(tenants.map((t) => t.id)).toContain(tenantA.id);

    const own = await graphql(platform.gateway.url, '{ tenants(first: 500) { edges { node { id } } } }', { headers: { 'x-api-key': secret } });
    expect(own.body.errors?.map((e) => e.extensions?.code)).toEqual(['OPERATION_NOT_TRUSTED']);
    expect(own.body.data ?? null).toBeNull();
  });
});

describe.each(SENDS)('the other trusted documents, each for its role, sending %s', (send) => {
  const clientAs = async (roles: Role[], tenantId?: string) =>
    createClient({ url: platform.gateway.url, token: await tokenFor(roles, { tenantId }), tenantId, documentIds: loadDocumentIds(), send });

  it('PatientList: a clinician of A reads A’s patients, PHI included, without an error', async () => {
    const { data, errors } = await (await clientAs(['clinician'], tenantA.id)).execute(PatientListDocument, { first: 5 });
    expect(errors).toEqual([]);
    const { rows } = await admin.query<{ id: string; mrn: string }>('SELECT id, mrn FROM clinical_ops.patients WHERE tenant_id = $1 ORDER BY mrn LIMIT 5', [tenantA.id]);
    expect(data.patients.map((p) => [p.id, p.mrn])).toEqual(rows.map((r) => [r.id, r.mrn]));
    expect(data.patients.every((p) => Array.isArray(p.appointments))).toBe(true);
  });

  it('RevenueView: a biller of A reads the subscription and the catalogue; billingInsights needs the plan', async () => {
    const { data, errors } = await (await clientAs(['biller'], tenantA.id)).execute(RevenueViewDocument, { tenantId: tenantA.id });
    expect(data.tenant?.subscription?.plan.code).toBe('standard');
    expect(data.tenant?.billingInsights).toBeNull();
    expect(errors.map((e) => [e.code, e.path])).toEqual([['ENTITLEMENT_REQUIRED', ['tenant', 'billingInsights']]]);
    const { rows } = await admin.query<{ code: string }>('SELECT code FROM erp.plans ORDER BY monthly_price_minor');
    expect(data.plans.map((p) => p.code)).toEqual(rows.map((r) => r.code));
  });

  it('FleetHealth: an analyst reads every panel across tenants; support, without billing:read, gets no subscriptions', async () => {
    const analyst = await (await clientAs(['analyst'])).execute(FleetHealthDocument, { first: 10 });
    expect(analyst.errors).toEqual([]);
    expect(analyst.data.tenants.edges).toHaveLength(10);
    expect(analyst.data.tenants.edges.every(({ node }) => node.subscription !== null && node.clinicalSummary !== null)).toBe(true);

    const support = await (await clientAs(['support'])).execute(FleetHealthDocument, { first: 10 });
    expect(support.data.tenants.edges.every(({ node }) => node.subscription === null && node.health !== null)).toBe(true);
    expect(support.errors.map((e) => e.code)).toEqual(['INSUFFICIENT_SCOPE']);
    expect(errorAt(support.errors, ['tenants', 'edges', 4, 'node', 'subscription'])?.extensions.occurrences).toBe(10);
  });
});

describe('the runnable examples', () => {
  const run = (file: string, args: string[], env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });

  it('examples/curl.sh runs every step against the demo credentials file', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-curl-'));
    try {
      // The fields of .caregraph/demo-credentials.json the script reads, as `npm start` writes them.
      const credentials = {
        gateway: platform.gateway.url,
        principals: { tenantAdminA: { token: tenantAdminToken, tenantId: tenantA.id }, partner: { apiKey, partnerId: PARTNER.id } },
      } satisfies DeepPartial<DemoCredentials>;
      fs.writeFileSync(path.join(dataDir, 'demo-credentials.json'), JSON.stringify(credentials));
      const { stdout } = await promisify(execFile)('bash', [path.join(ROOT, 'examples', 'curl.sh')], {
        env: { ...process.env, CAREGRAPH_DATA_DIR: dataDir },
        timeout: 60_000,
      });
      const steps = stdout.split(/^== /m).slice(1);
      expect(steps).toHaveLength(6);
      for (const step of steps.slice(0, 3)) expect(step).toContain(`"name": ${JSON.stringify(tenantA.name)}`);
      expect(steps[0]).toContain('"code": "ENTITLEMENT_REQUIRED"');
      expect(steps[1]).toContain(`documentId ${loadDocumentIds().get('TenantDashboard')}`);
      expect(steps[3]).toContain(`"id": "${PARTNER.id}"`);
      expect(steps[4]).toMatch(/"code": "standard"/);
      expect(steps[5]).toContain('PERSISTED_QUERY_NOT_FOUND');
      expect(steps[5]).toContain('HTTP 400');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('examples/frontend/dashboard.ts prints tenant A’s dashboard', async () => {
    const { stdout } = await run('examples/frontend/dashboard.ts', [], {
      CAREGRAPH_URL: platform.gateway.url,
      CAREGRAPH_TOKEN: tenantAdminToken,
      CAREGRAPH_TENANT_ID: tenantA.id,
    });
    expect(stdout.split('\n')[0]).toMatch(new RegExp(`^${tenantA.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${tenantA.slug}\\)`));
    expect(stdout).toContain('Plan      ');
    expect(stdout).toContain('no-show rate — (ENTITLEMENT_REQUIRED)');
  });

  it('examples/partner/list-tenants.ts lists the attributed tenants with their usage', async () => {
    const ids = await attributedIds();
    const { stdout } = await run('examples/partner/list-tenants.ts', ['--usage'], { CAREGRAPH_URL: platform.gateway.url, CAREGRAPH_API_KEY: apiKey });
    expect(stdout).toMatch(/^\d+ attributed tenants\n/);
    for (const id of ids) expect(stdout).toContain(`${id}  `);
    expect(stdout).toMatch(/plan standard ACTIVE; \d+ requests\/24h, availability [\d.]+%, p95 — \(ENTITLEMENT_REQUIRED\)/);
  });
});
