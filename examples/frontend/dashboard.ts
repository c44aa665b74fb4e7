/**
 * Prints a tenant's dashboard (the `TenantDashboard` trusted document) as its tenant admin sees
 * it. After `npm start`:
 *
 *   npx tsx examples/frontend/dashboard.ts
 *
 * reads tenant A's admin token from the demo credentials; `CAREGRAPH_URL`, `CAREGRAPH_TOKEN`
 * and `CAREGRAPH_TENANT_ID` point it elsewhere, `CAREGRAPH_SEND=query` sends the query text
 * instead of the document id. A field the plan does not include is printed as
 * `— (ENTITLEMENT_REQUIRED)`: the rest of the dashboard is still there.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorAt, type OperationResult } from '../graphql-result.js';
import { fromEnv, readDemoCredentials } from '../demo-credentials.js';
import { loadDocumentIds } from '../persisted-documents.js';
import type { DemoCredentials } from '../../scripts/demo-credentials.js';
import { createClient, type CareGraphClient } from './client.js';
import { TenantDashboardDocument, type TenantDashboardQuery } from './src/gql/graphql.js';

/** Runs `TenantDashboard` for `tenantId` over the last `windowMinutes`. */
export function fetchDashboard(client: CareGraphClient, tenantId: string, windowMinutes = 1440): Promise<OperationResult<TenantDashboardQuery>> {
  return client.execute(TenantDashboardDocument, { tenantId, windowMinutes });
}

/**
 * The dashboard as text: one line per panel, each missing value with the code that explains
 * it (when there is one), then every error of the answer.
 */
export function formatDashboard(result: OperationResult<TenantDashboardQuery>): string {
  const { tenant } = result.data;
  const show = <T>(value: T | null | undefined, path: string[], render: (value: T) => string): string => {
    if (value != null) return render(value);
    const error = errorAt(result.errors, ['tenant', ...path]);
    return error ? `— (${error.code ?? error.message})` : '—';
  };
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const lines: string[] = [];
  if (!tenant) {
    lines.push('No such tenant, or not one you may see');
  } else {
    const { subscription: sub, clinicalSummary: clinical, health } = tenant;
    lines.push(
      `${tenant.name} (${tenant.slug}): ${tenant.segment.toLowerCase()}, tier ${tenant.tier}, ${tenant.region}, cohort ${tenant.cohort}, ${tenant.status}`,
      `Plan      ${show(sub, ['subscription'], (s) => `${s.plan.name} (${s.plan.code}), ${s.status} since ${s.startedAt.slice(0, 10)}; features: ${s.plan.features.join(', ') || 'none'}`)}`,
      `Clinical  ${show(clinical, ['clinicalSummary'], (c) =>
        [
          `${c.patientCount} patients`,
          `${c.upcomingAppointmentCount} upcoming appointments`,
          `no-show rate ${show(c.noShowRate, ['clinicalSummary', 'noShowRate'], percent)}`,
        ].join(', '),
      )}`,
      `Health    ${show(health, ['health'], (h) =>
        [
          `last ${h.windowMinutes} min: ${h.requestCount} requests`,
          `availability ${show(h.availability, ['health', 'availability'], percent)}`,
          `error rate ${show(h.errorRate, ['health', 'errorRate'], percent)}`,
          `p95 ${show(h.p95LatencyMs, ['health', 'p95LatencyMs'], (ms) => `${ms.toFixed(0)} ms`)}`,
        ].join(', '),
      )}`,
    );
  }
  for (const error of result.errors) lines.push(`! ${error.code ?? 'ERROR'} at ${(error.path ?? []).join('.') || '(request)'}: ${error.message}`);
  return lines.join('\n');
}

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  let demo: DemoCredentials | undefined;
  const credentials = () => (demo ??= readDemoCredentials(env));
  const tenantId = fromEnv(env, 'CAREGRAPH_TENANT_ID', () => credentials().principals.tenantAdminA.tenantId);
  const client = createClient({
    url: fromEnv(env, 'CAREGRAPH_URL', () => credentials().gateway),
    token: fromEnv(env, 'CAREGRAPH_TOKEN', () => credentials().principals.tenantAdminA.token),
    tenantId,
    documentIds: loadDocumentIds(),
    send: env.CAREGRAPH_SEND === 'query' ? 'query' : 'documentId',
  });
  console.log(formatDashboard(await fetchDashboard(client, tenantId)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.env).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
