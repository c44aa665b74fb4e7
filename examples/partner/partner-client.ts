/**
 * A partner integration's view of CareGraph, on plain `fetch`: an API key (`x-api-key`), the
 * trusted documents sent by id, every request under the retry policy (./retry.ts).
 *
 * At partner level (no `x-tenant-id`) a key lists its partner's attributed tenants with their
 * profiles (`PartnerTenants`, paged); a tenant's plan and health are read inside that tenant
 * (`PartnerTenantUsage` with `x-tenant-id`), within the key's scopes (the demo key: tenant:read,
 * billing:read, telemetry:read — no clinical data, no PHI).
 */
import { readResult, type OperationResult, type ResultError } from '../graphql-result.js';
import type { TrustedDocument } from '../persisted-documents.js';
import type {
  PartnerTenantsQuery,
  PartnerTenantsQueryVariables,
  PartnerTenantUsageQuery,
  PartnerTenantUsageQueryVariables,
} from '../frontend/src/gql/graphql.js';
import { DEFAULT_RETRY_POLICY, fetchWithRetry, type RetryHooks, type RetryPolicy } from './retry.js';

export interface PartnerClientOptions {
  /** The gateway's GraphQL endpoint. */
  url: string;
  /** The partner's API key (`cgk_…`). */
  apiKey: string;
  /** The trusted documents by operation name (`loadDocuments()`). */
  documents: ReadonlyMap<string, TrustedDocument>;
  /** `documentId` (default) or `query`: the document's exact text, for a gateway without trusted documents. */
  send?: 'documentId' | 'query';
  retry?: Partial<RetryPolicy>;
  hooks?: RetryHooks;
}

export type AttributedTenant = PartnerTenantsQuery['tenants']['edges'][number]['node'];

export interface PartnerClient {
  /** Every attributed tenant, all pages; `errors` gathers what the pages reported. */
  listAttributedTenants(pageSize?: number): Promise<{ tenants: AttributedTenant[]; totalCount: number; errors: ResultError[] }>;
  /** One attributed tenant's plan and request health. */
  tenantUsage(tenantId: string, windowMinutes?: number): Promise<OperationResult<PartnerTenantUsageQuery>>;
}

/** A client for one API key. */
export function createPartnerClient(options: PartnerClientOptions): PartnerClient {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };

  async function run<TData>(operationName: string, variables: object, tenantId?: string): Promise<OperationResult<TData>> {
    const document = options.documents.get(operationName);
    if (!document) throw new Error(`${operationName} is not a trusted document (schema/operations)`);
    const body =
      options.send === 'query'
        ? { query: document.text, operationName, variables }
        : { documentId: document.id, operationName, variables };
    const response = await fetchWithRetry(
      options.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': options.apiKey,
          ...(tenantId ? { 'x-tenant-id': tenantId } : {}),
        },
        body: JSON.stringify(body),
      },
      policy,
      options.hooks,
    );
    return readResult<TData>(response);
  }

  return {
    async listAttributedTenants(pageSize = 100) {
      const tenants: AttributedTenant[] = [];
      const errors: ResultError[] = [];
      let after: string | null = null;
      for (;;) {
        const variables: PartnerTenantsQueryVariables = { first: pageSize, after };
        const page: OperationResult<PartnerTenantsQuery> = await run<PartnerTenantsQuery>('PartnerTenants', variables);
        errors.push(...page.errors);
        tenants.push(...page.data.tenants.edges.map((edge) => edge.node));
        const { hasNextPage, endCursor } = page.data.tenants.pageInfo;
        if (!hasNextPage) return { tenants, totalCount: page.data.tenants.totalCount, errors };
        // A server that says "more" without a cursor would have us loop on page one forever.
        if (!endCursor || endCursor === after) throw new Error('PartnerTenants answered hasNextPage without a new endCursor');
        after = endCursor;
      }
    },
    tenantUsage(tenantId, windowMinutes = 1440) {
      const variables: PartnerTenantUsageQueryVariables = { tenantId, windowMinutes };
      return run<PartnerTenantUsageQuery>('PartnerTenantUsage', variables, tenantId);
    },
  };
}
