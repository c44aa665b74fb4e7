/**
 * Wiring of the whole platform, shared by `npm start`, `npm run migrate`, `npm run seed`, the
 * end-to-end tests and the benchmarks: how to migrate and seed every service, and how to run
 * them all in one process. Which services exist is the registry's business (lib/services.ts).
 */
import { connectClient } from '../lib/db/client.js';
import { requireAppPassword, SUBGRAPH_NAMES, type Config, type SubgraphName } from '../lib/config.js';
import { appUrl, gatewayUrl, migrate } from '../lib/db/index.js';
import { asOwner } from '../lib/db/owner.js';
import { demoFleet, type DemoFleet } from '../lib/demo/fleet.js';
import { followsPlacement, moveTenantRows } from '../lib/db/tenant-databases.js';
import { migratePgBoss } from '../lib/jobs/migrate.js';
import type { QueueDeclaration } from '../lib/jobs/queues.js';
import { importModule, resolvePath, serviceProcesses, SERVICE_LIST, SERVICES, type RunningService, type SeedFunction } from '../lib/services.js';
import type { StartOptions } from '../lib/subgraph/index.js';
import type * as GatewayModule from '../gateway/index.js';

interface SubgraphModule {
  start(options: StartOptions): Promise<RunningService>;
}

/** Each subgraph's start, loading its code on first use. */
export const SUBGRAPHS: Record<SubgraphName, SubgraphModule> = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [
    name,
    { start: async (options: StartOptions) => (await importModule<SubgraphModule>(SERVICES[name].module)).start(options) },
  ]),
) as Record<SubgraphName, SubgraphModule>;

/**
 * Applies every service's pending migrations, in registry order, then pg-boss's schema and the
 * queues every worker declares; returns what was applied now.
 */
export async function migrateAll(adminUrl: string): Promise<string[]> {
  const applied: string[] = [];
  for (const { database } of SERVICE_LIST) {
    if (!database) continue;
    const result = await migrate(adminUrl, { schema: database.schema, directory: resolvePath(database.migrations) });
    applied.push(...result.applied.map((file) => `${result.schema}/${file}`));
  }
  const workers = await Promise.all(
    serviceProcesses()
      .filter((process) => process.kind === 'worker')
      .map((process) => importModule<{ queues?: readonly QueueDeclaration[] }>(process.module)),
  );
  applied.push(...(await migratePgBoss(adminUrl, workers.flatMap((worker) => worker.queues ?? []))));
  return applied;
}

export async function tenantCount(adminUrl: string): Promise<number> {
  const client = await connectClient(adminUrl);
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
  /** Where ISOLATED demo tenants' own databases go (DATABASE_REGION_SERVERS); default: this server. */
  regionServers?: Readonly<Record<string, string>>;
  /** The application role's statement timeout on those databases; default 5 s. */
  statementTimeoutMs?: number;
}

/** How many isolated demo tenants are placed at once. */
const PLACEMENT_PARALLELISM = 4;

/**
 * Writes the deterministic demo fleet of `tenants` tenants in one transaction, as the owner
 * role: either all of it lands or none. Existing rows are kept, so seeding 400 after 40 adds
 * tenants 41–400. Each service with a seed writes its part, in registry order.
 */
export async function seedDemo(adminUrl: string, options: SeedOptions): Promise<void> {
  const fleet = demoFleet(options.tenants);
  const now = options.now ?? new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const seeds = await Promise.all(
    SERVICE_LIST.flatMap(({ seed }) => (seed ? [seedOf(seed.module, seed.export).then((write) => ({ write, time: seed.time }))] : [])),
  );
  await asOwner(adminUrl, async (client) => {
    for (const { write, time } of seeds) await write(client, fleet, time === 'now' ? now : today);
  });
  await placeIsolatedTenants(adminUrl, fleet, options);
}

/**
 * Gives every ISOLATED demo tenant its own database and moves its clinical rows there, as a
 * placement change would. Tenants placed already are left as they are; the moves skip the wait
 * for the replicas' route caches, since the services route a tenant only once it is placed.
 */
async function placeIsolatedTenants(adminUrl: string, fleet: DemoFleet, options: SeedOptions): Promise<void> {
  const servers = { sharedUrl: adminUrl, regionServers: options.regionServers ?? {}, statementTimeoutMs: options.statementTimeoutMs ?? 5000 };
  const sets = SERVICE_LIST.flatMap(({ name, database }) =>
    database && followsPlacement(name) ? [{ schema: database.schema, directory: resolvePath(database.migrations) }] : [],
  );
  const pending = fleet.tenants.filter((tenant) => tenant.placement === 'isolated');
  while (pending.length > 0) {
    const batch = pending.splice(0, PLACEMENT_PARALLELISM);
    await Promise.all(
      batch.flatMap((tenant) => sets.map((set) => moveTenantRows(servers, set, tenant.id, 'isolated', tenant.region, { routeTtlMs: 0, settleMs: 0 }))),
    );
  }
}

async function seedOf(module: string, name: string): Promise<SeedFunction> {
  const write = (await importModule<Record<string, unknown>>(module))[name];
  if (typeof write !== 'function') throw new Error(`${module} exports no seed function ${name}`);
  return write as SeedFunction;
}

export interface InProcessPlatform {
  gateway: RunningService;
  subgraphs: Record<SubgraphName, RunningService>;
  close(): Promise<void>;
}

/**
 * Starts every subgraph and the gateway in this process (ports 0: free ports), on a database
 * that is already migrated. `databaseUrl` names the database (admin or application URL
 * alike): the subgraphs connect to it as the application role with the configured password,
 * the gateway as the gateway role (its rate-limit counters).
 */
export async function startInProcess(config: Config, databaseUrl: string, fixedPorts = false): Promise<InProcessPlatform> {
  const url = appUrl(databaseUrl, requireAppPassword(config));
  const entries = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const service = await SUBGRAPHS[name].start({ config, databaseUrl: url, port: fixedPorts ? undefined : 0 });
      return [name, service] as const;
    }),
  );
  const subgraphs = Object.fromEntries(entries) as Record<SubgraphName, RunningService>;
  const gateway = await importModule<typeof GatewayModule>(SERVICES.gateway.module);
  const { gatewayPassword } = config.database;
  const running = await gateway.start({
    config,
    port: fixedPorts ? undefined : 0,
    databaseUrl: gatewayPassword ? gatewayUrl(databaseUrl, gatewayPassword) : undefined,
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
