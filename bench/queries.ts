/**
 * The operations the benchmark sends. Scenario A is the tenant dashboard, once for one tenant
 * (tenant-level access) and once as a fleet page (platform level); A2 chains three stages
 * (tenancy → erp → clinical-ops/observability/tenancy); B counts SQL statements of a fleet page of N tenants;
 * the flood scenario sends the tenant dashboard as many tenants' users, and a partner's usage query.
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
 * The deep query: a plan of three sequential stages across the four subgraphs, in the spirit
 * of the public gateways benchmark's `users → reviews → product → reviews → author`.
 * tenancy (the page) → erp (each tenant's subscription, whose `tenant` is a fresh reference)
 * → clinical-ops, observability and tenancy again (that tenant's clinical summary, two health
 * windows and partner), for 50 tenants: the gateway cannot know the reference is the same
 * tenant, so every stage waits for the one before.
 */
const DEEP_QUERY = /* GraphQL */ `
  query FleetDeep($first: Int!) {
    tenants(first: $first) {
      totalCount
      edges {
        node {
          id slug name tier
          subscription {
            id status startedAt
            plan { code name features monthlyPriceMinor currency }
            tenant {
              id
              partner { id name brandName }
              clinicalSummary { patientCount upcomingAppointmentCount }
              day: health(windowMinutes: 1440) { ${HEALTH} }
              hour: health(windowMinutes: 60) { ${HEALTH} }
            }
          }
        }
      }
    }
  }
`;

/** Scenario A's tenant dashboard, which the flood scenario's users send too. */
export const TENANT_DASHBOARD_QUERY = `query TenantDashboard($id: ID!) { tenant(id: $id) { ${DASHBOARD_FIELDS} } }`;

/**
 * What the flood scenario's partner key sends inside its tenant: the trusted document
 * `PartnerTenantUsage` (schema/operations/partner-tenant-usage.graphql) without `p95LatencyMs`,
 * which a standard plan answers with ENTITLEMENT_REQUIRED, so that a served request is a clean
 * one and any error stands out.
 */
export const PARTNER_USAGE_QUERY = /* GraphQL */ `
  query PartnerUsage($tenantId: ID!, $windowMinutes: Int = 1440) {
    tenant(id: $tenantId) {
      id
      name
      subscription { status plan { code name } }
      health(windowMinutes: $windowMinutes) { availability errorRate requestCount windowMinutes }
    }
  }
`;

export function throughputOperations(tenantId: string): ThroughputOperation[] {
  return [
    {
      id: 'A-tenant',
      title: 'A  tenant dashboard (one tenant, 4 subgraphs)',
      query: TENANT_DASHBOARD_QUERY,
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
      title: 'A2 deep (tenants(first: 50), three sequential stages)',
      query: DEEP_QUERY,
      variables: { first: 50 },
      scope: { access: 'platform' },
      floor: {
        query: /* GraphQL */ `
          query DeepFloor($first: Int!) {
            tenants(first: $first) {
              totalCount
              edges { node { id slug name tier } }
            }
          }
        `,
        variables: { first: 50 },
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
