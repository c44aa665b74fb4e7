/**
 * Scenario B: SQL statements per request for a fleet page of N tenants with all four
 * extensions, read from each subgraph's statement counter around the requests. With every
 * nested list loaded in batches, the count is the same for 10 tenants as for 400.
 */
import type { Config, SubgraphName } from '../../lib/config.js';
import { SUBGRAPH_NAMES } from '../../lib/config.js';
import { startInProcess } from '../../scripts/platform.js';
import { caregraphHeaders } from '../credentials.js';
import { N_PLUS_ONE_QUERY } from '../queries.js';

/** Requests per page size; the count per request is their average (it should not vary). */
const REPEAT = 3;

export interface NPlusOneRow {
  /** Page size asked for. */
  first: number;
  /** Tenants the page held (fewer than `first` when the database has fewer). */
  tenants: number;
  statementsPerRequest: number;
  bySubgraph: Record<SubgraphName, number>;
}

export interface NPlusOneResult {
  rows: NPlusOneRow[];
  /** Whether every page size cost the same number of statements. */
  flat: boolean;
}

export async function runNPlusOne(config: Config, adminUrl: string, pageSizes: number[]): Promise<NPlusOneResult> {
  const platform = await startInProcess(config, adminUrl);
  try {
    const send = async (first: number) => {
      const response = await fetch(platform.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await caregraphHeaders(config, { access: 'platform' })) },
        body: JSON.stringify({ query: N_PLUS_ONE_QUERY, variables: { first } }),
      });
      const body = (await response.json()) as { data?: { tenants: { edges: unknown[] } }; errors?: unknown[] };
      if (!body.data || body.errors?.length) throw new Error(`scenario B, first ${first}: ${JSON.stringify(body).slice(0, 500)}`);
      return body.data.tenants.edges.length;
    };
    const counters = () => Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, platform.subgraphs[name].db?.statementCount ?? 0]));

    await send(pageSizes[0] ?? 10); // the first request also loads schemas and opens pools
    const rows: NPlusOneRow[] = [];
    for (const first of pageSizes) {
      const before = counters();
      let tenants = 0;
      for (let i = 0; i < REPEAT; i++) tenants = await send(first);
      const after = counters();
      const bySubgraph = Object.fromEntries(
        SUBGRAPH_NAMES.map((name) => [name, (after[name]! - before[name]!) / REPEAT]),
      ) as Record<SubgraphName, number>;
      const statementsPerRequest = Object.values(bySubgraph).reduce((sum, count) => sum + count, 0);
      rows.push({ first, tenants, statementsPerRequest, bySubgraph });
    }
    return { rows, flat: rows.every((row) => row.statementsPerRequest === rows[0]?.statementsPerRequest) };
  } finally {
    await platform.close();
  }
}
