/**
 * The operations the benchmark sends. Scenario A is the tenant dashboard, once for one tenant
 * (tenant-level access) and once as a fleet page (platform level); A2 is the deepest shape
 * the current graph allows; B counts SQL statements of a fleet page of N tenants.
 *
 * Each throughput operation has a `floor`: the part of it the tenancy subgraph answers,
 * which is the first fetch of every gateway's plan, sent straight to that subgraph.
 */
import type { Scope } from './credentials.js';

export interface ThroughputOperation {
  id: 'A-tenant' | 'A-fleet' | 'A2-deep';
  title: string;
  query: string;
  variables?: Record<string, unknown>;
  scope: Scope;
  /** The tenancy subgraph's share of the same operation (for the direct-subgraph target). */
  floor: { query: string; variables?: Record<string, unknown> };
}

const DASHBOARD_FIELDS = /* GraphQL */ `
  id
  name
  tier
  partner { id name }
  subscription { status plan { code name features } }
  clinicalSummary { patientCount upcomingAppointmentCount }
  health { availability errorRate p95LatencyMs windowMinutes }
`;

const HEALTH = 'availability errorRate p95LatencyMs requestCount windowMinutes';

/**
 * The deep query. Tenant is the only entity shared between subgraphs, and nothing that erp,
 * clinical-ops or observability return leads back to another subgraph, so every plan over
 * this graph is at most two stages deep (tenancy, then the three extensions in parallel).
 * This operation therefore goes wide instead: 100 tenants, each with its partner entity, its
 * subscription and plan, its clinical summary and two health windows — 300 entity
 * representations for the gateway to send, merge and serialise per request.
 */
const DEEP_QUERY = /* GraphQL */ `
  query FleetDeep($first: Int!) {
    tenants(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id slug name segment tier region placement cohort status createdAt
          partner { id slug name brandName }
          subscription {
            id status startedAt
            plan { code name features limits { key value } monthlyPriceMinor currency }
          }
          clinicalSummary { patientCount upcomingAppointmentCount }
          day: health(windowMinutes: 1440) { ${HEALTH} }
          hour: health(windowMinutes: 60) { ${HEALTH} }
        }
      }
    }
  }
`;

export function throughputOperations(tenantId: string): ThroughputOperation[] {
  return [
    {
      id: 'A-tenant',
      title: 'A  tenant dashboard (one tenant, 4 subgraphs)',
      query: `query TenantDashboard($id: ID!) { tenant(id: $id) { ${DASHBOARD_FIELDS} } }`,
      variables: { id: tenantId },
      scope: { access: 'tenant', tenantId },
      floor: {
        query: 'query TenantFloor($id: ID!) { tenant(id: $id) { id name tier partner { id name } } }',
        variables: { id: tenantId },
      },
    },
    {
      id: 'A-fleet',
      title: 'A  fleet dashboard (tenants(first: 50), 4 subgraphs)',
      query: `query FleetDashboard { tenants(first: 50) { edges { node { ${DASHBOARD_FIELDS} } } } }`,
      scope: { access: 'platform' },
      floor: { query: 'query FleetFloor { tenants(first: 50) { edges { node { id name tier partner { id name } } } } }' },
    },
    {
      id: 'A2-deep',
      title: 'A2 deep (tenants(first: 100), every extension)',
      query: DEEP_QUERY,
      variables: { first: 100 },
      scope: { access: 'platform' },
      floor: {
        query: /* GraphQL */ `
          query DeepFloor($first: Int!) {
            tenants(first: $first) {
              totalCount
              pageInfo { hasNextPage endCursor }
              edges { cursor node { id slug name segment tier region placement cohort status createdAt partner { id slug name brandName } } }
            }
          }
        `,
        variables: { first: 100 },
      },
    },
  ];
}

/** Scenario B: a fleet page of `first` tenants with all four extensions. */
export const N_PLUS_ONE_QUERY = /* GraphQL */ `
  query FleetPage($first: Int!) {
    tenants(first: $first) {
      edges { node { ${DASHBOARD_FIELDS} } }
    }
  }
`;
