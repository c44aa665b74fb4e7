/**
 * Lists the tenants attributed to a partner, as its integration would. After `npm start`:
 *
 *   npx tsx examples/partner/list-tenants.ts            # the attributed tenants
 *   npx tsx examples/partner/list-tenants.ts --usage    # and each one's plan and health
 *
 * uses the demo partner key; `CAREGRAPH_URL` and `CAREGRAPH_API_KEY` point it elsewhere,
 * `CAREGRAPH_SEND=query` sends the query text instead of the document id. Retries (rate limits,
 * network errors) are reported on stderr.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorAt, RequestFailedError } from '../graphql-result.js';
import { fromEnv, readDemoCredentials } from '../demo-credentials.js';
import { loadDocuments } from '../persisted-documents.js';
import type { DemoCredentials } from '../../scripts/demo-credentials.js';
import { createPartnerClient, type AttributedTenant, type PartnerClient } from './partner-client.js';

/** One line per tenant: id, name, tier, region, status. */
export function formatTenant(tenant: AttributedTenant): string {
  return `${tenant.id}  ${tenant.name} (${tenant.slug}), ${tenant.tier}, ${tenant.region}, ${tenant.status}`;
}

/** The tenant's plan and health, each missing value with the code that explains it. */
export async function usageLine(client: PartnerClient, tenantId: string): Promise<string> {
  const { data, errors } = await client.tenantUsage(tenantId);
  const why = (path: string[]) => {
    const error = errorAt(errors, ['tenant', ...path]);
    return error ? `— (${error.code ?? error.message})` : '—';
  };
  const sub = data.tenant?.subscription;
  const health = data.tenant?.health;
  const plan = sub ? `${sub.plan.code} ${sub.status}` : why(['subscription']);
  const availability = health?.availability != null ? `${(health.availability * 100).toFixed(1)}%` : why(['health', 'availability']);
  const p95 = health?.p95LatencyMs != null ? `${health.p95LatencyMs.toFixed(0)} ms` : why(['health', 'p95LatencyMs']);
  return `    plan ${plan}; ${health?.requestCount ?? 0} requests/24h, availability ${availability}, p95 ${p95}`;
}

/** Tenants whose users and partner keys the platform refuses for now: their usage is not readable. */
const CLOSED_TENANT_CODES = ['TENANT_SUSPENDED', 'TENANT_OFFBOARDED'];

/**
 * The usage line, or why there is none: a tenant suspended or offboarding (perhaps since it was
 * listed) answers 403 with its code, which is a fact about the tenant, not a failure of the run.
 */
export async function usageOrWhyNot(client: PartnerClient, tenantId: string): Promise<string> {
  try {
    return await usageLine(client, tenantId);
  } catch (error) {
    const closed = error instanceof RequestFailedError ? error.codes.find((code) => CLOSED_TENANT_CODES.includes(code ?? '')) : undefined;
    if (closed) return `    usage — (${closed})`;
    throw error;
  }
}

async function main(env: NodeJS.ProcessEnv, withUsage: boolean): Promise<void> {
  let demo: DemoCredentials | undefined;
  const credentials = () => (demo ??= readDemoCredentials(env));
  const client = createPartnerClient({
    url: fromEnv(env, 'CAREGRAPH_URL', () => credentials().gateway),
    apiKey: fromEnv(env, 'CAREGRAPH_API_KEY', () => credentials().principals.partner.apiKey),
    documents: loadDocuments(),
    send: env.CAREGRAPH_SEND === 'query' ? 'query' : 'documentId',
    hooks: { onRetry: ({ attempt, delayMs, reason }) => console.error(`attempt ${attempt}: ${reason}; retrying in ${delayMs} ms`) },
  });
  const { tenants, totalCount, errors } = await client.listAttributedTenants();
  console.log(`${totalCount} attributed tenants`);
  for (const tenant of tenants) {
    console.log(formatTenant(tenant));
    if (withUsage) console.log(await usageOrWhyNot(client, tenant.id));
  }
  for (const error of errors) console.log(`! ${error.code ?? 'ERROR'} at ${(error.path ?? []).join('.')}: ${error.message}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.env, process.argv.includes('--usage')).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
