/**
 * Wiring of the whole platform, shared by `npm start`, `npm run migrate`, `npm run seed`, the
 * end-to-end tests and the benchmarks: which subgraphs exist, how to migrate and seed them
 * all, and how to run every service in one process.
 */
import pg from 'pg';
import * as clinicalOps from '../subgraphs/clinical-ops/index.js';
import { seedClinicalOps } from '../subgraphs/clinical-ops/seed.js';
import * as erp from '../subgraphs/erp/index.js';
import { seedErp } from '../subgraphs/erp/seed.js';
import * as observability from '../subgraphs/observability/index.js';
import { seedObservability } from '../subgraphs/observability/seed.js';
import * as tenancy from '../subgraphs/tenancy/index.js';
import { seedTenancy } from '../subgraphs/tenancy/seed.js';
import * as gateway from '../gateway/index.js';
import { requireAppPassword, type Config, type SubgraphName } from '../lib/config.js';
import { appUrl, migrate } from '../lib/db/index.js';
import { asOwner } from '../lib/db/owner.js';
import { demoFleet } from '../lib/demo/fleet.js';
import type { RunningService, StartOptions } from '../lib/subgraph.js';

export const SUBGRAPHS: Record<SubgraphName, { start(options: StartOptions): Promise<RunningService>; migrationSet: { schema: string; directory: string } }> = {
  tenancy,
  erp,
  'clinical-ops': clinicalOps,
  observability,
};

/** Applies every subgraph's pending migrations; returns the files applied now. */
export async function migrateAll(adminUrl: string): Promise<string[]> {
  const applied: string[] = [];
  for (const subgraph of Object.values(SUBGRAPHS)) {
    const result = await migrate(adminUrl, subgraph.migrationSet);
    applied.push(...result.applied.map((file) => `${result.schema}/${file}`));
  }
  return applied;
}

export async function tenantCount(adminUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.tenants');
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

export interface SeedOptions {
  tenants: number;
  /** Reference time for dates in the demo data; defaults to now. */
  now?: Date;
}

/**
 * Writes the deterministic demo fleet of `tenants` tenants in one transaction, as the owner
 * role: either all of it lands or none. Existing rows are kept, so seeding 400 after 40 adds
 * tenants 41–400.
 */
export async function seedDemo(adminUrl: string, options: SeedOptions): Promise<void> {
  const fleet = demoFleet(options.tenants);
  const now = options.now ?? new Date();
  const anchor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  await asOwner(adminUrl, async (client) => {
    await seedTenancy(client, fleet, anchor);
    await seedErp(client, fleet, anchor);
    await seedClinicalOps(client, fleet, anchor);
    await seedObservability(client, fleet, now);
  });
}

export interface InProcessPlatform {
  gateway: RunningService;
  subgraphs: Record<SubgraphName, RunningService>;
  close(): Promise<void>;
}

/**
 * Starts the four subgraphs and the gateway in this process (ports 0: free ports), on a
 * database that is already migrated. `databaseUrl` names the database (admin or application
 * URL alike): the subgraphs connect to it as the application role with the configured password.
 */
export async function startInProcess(config: Config, databaseUrl: string, fixedPorts = false): Promise<InProcessPlatform> {
  const url = appUrl(databaseUrl, requireAppPassword(config));
  const entries = await Promise.all(
    (Object.keys(SUBGRAPHS) as SubgraphName[]).map(async (name) => {
      const service = await SUBGRAPHS[name].start({ config, databaseUrl: url, port: fixedPorts ? undefined : 0 });
      return [name, service] as const;
    }),
  );
  const subgraphs = Object.fromEntries(entries) as Record<SubgraphName, RunningService>;
  const running = await gateway.start({
    config,
    port: fixedPorts ? undefined : 0,
    subgraphUrls: Object.fromEntries(entries.map(([name, service]) => [name, service.url])),
  });
  return {
    gateway: running,
    subgraphs,
    async close() {
      await running.close();
      await Promise.all(Object.values(subgraphs).map((service) => service.close()));
    },
  };
}
