/**
 * The service registry: every service of the platform, written once. The configuration (ports
 * and subgraph URLs), composition, migrations, demo seeding, `npm start`, `npm run service`
 * and the tests derive their lists from it; `lib/services.test.ts` fails when a folder under
 * `subgraphs/` is not registered, or a registered subgraph has no folder.
 *
 * Paths are relative to the project root and name the `.js` module (tsx maps it to the `.ts`
 * source). Nothing here imports a service: each process loads only its own code, through
 * `importModule`, so a gateway process carries no subgraph and a subgraph no Fastify or
 * gateway code it does not serve with.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type pg from 'pg';
import { runtimeImport } from './runtime-import.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { DemoFleet } from './demo/fleet.js';

/** The two servers a subgraph can run on; the bootstrap in lib/subgraph/ picks the adapter from it. */
export type SubgraphKind = 'apollo-subgraph' | 'mercurius-subgraph';
/**
 * `simulator`: a stand-in for the external systems the platform calls (simulators/), so that
 * everything runs offline. It listens like a service but holds no database, seed or worker.
 */
export type ServiceKind = 'gateway' | SubgraphKind | 'worker' | 'simulator';

export interface ServiceEntry {
  kind: ServiceKind;
  /**
   * The module that starts the service: it exports `start({ config, port? })` resolving to a
   * `RunningService` (gateway, subgraphs, simulators), or `start(config)` resolving to a `RunningWorker`.
   */
  module: string;
  /** The variable naming the port it listens on, and its default. Workers listen on nothing. */
  port?: { variable: string; default: number };
  /** Subgraphs: the variable telling the gateway where the subgraph answers (default: 127.0.0.1, the default port, /graphql). */
  url?: { variable: string };
  /** The Postgres schema the service owns and the folder of its ordered migrations (applied in registry order). */
  /**
   * `placement`: the schema holds tenants' clinical data, which follows each tenant's placement —
   * the shared tables for POOLED tenants, a database of its own for ISOLATED ones
   * (lib/db/tenant-databases.ts); the service's pools route every tenant-bound transaction there.
   */
  database?: { schema: string; migrations: string; placement?: boolean };
  /**
   * Writes the service's part of the demo fleet: the module's `export` is a `SeedFunction`,
   * run in registry order inside one owner transaction. `time` is what it is given: `today`
   * (midnight UTC of the seeding day, so demo dates stay put through the day) or `now`.
   */
  seed?: { module: string; export: string; time: 'today' | 'now' };
  /**
   * The worker process the service owns (its queues). When set, `npm start` runs it as one
   * more process, after the subgraphs, and `npm run service -- <name>-worker` runs it alone;
   * the module exports `start(config)` resolving to a `RunningWorker`.
   */
  worker?: { module: string };
}

/** Every service, in start, migration and seeding order. */
export const SERVICES = {
  gateway: {
    kind: 'gateway',
    module: 'gateway/index.js',
    port: { variable: 'GATEWAY_PORT', default: 4000 },
    // The rate-limit counters every replica shares; the gateway role reaches nothing else.
    database: { schema: 'gateway', migrations: 'gateway/migrations' },
  },
  tenancy: {
    kind: 'apollo-subgraph',
    module: 'subgraphs/tenancy/index.js',
    port: { variable: 'TENANCY_PORT', default: 4001 },
    url: { variable: 'TENANCY_URL' },
    database: { schema: 'tenancy', migrations: 'subgraphs/tenancy/migrations' },
    seed: { module: 'subgraphs/tenancy/seed.js', export: 'seedTenancy', time: 'today' },
    worker: { module: 'subgraphs/tenancy/worker.js' },
  },
  erp: {
    kind: 'apollo-subgraph',
    module: 'subgraphs/erp/index.js',
    port: { variable: 'ERP_PORT', default: 4002 },
    url: { variable: 'ERP_URL' },
    database: { schema: 'erp', migrations: 'subgraphs/erp/migrations' },
    seed: { module: 'subgraphs/erp/seed.js', export: 'seedErp', time: 'today' },
    worker: { module: 'subgraphs/erp/worker.js' },
  },
  'clinical-ops': {
    kind: 'apollo-subgraph',
    module: 'subgraphs/clinical-ops/index.js',
    port: { variable: 'CLINICAL_OPS_PORT', default: 4003 },
    url: { variable: 'CLINICAL_OPS_URL' },
    database: { schema: 'clinical_ops', migrations: 'subgraphs/clinical-ops/migrations', placement: true },
    seed: { module: 'subgraphs/clinical-ops/seed.js', export: 'seedClinicalOps', time: 'today' },
    worker: { module: 'subgraphs/clinical-ops/worker.js' },
  },
  observability: {
    kind: 'mercurius-subgraph',
    module: 'subgraphs/observability/index.js',
    port: { variable: 'OBSERVABILITY_PORT', default: 4004 },
    url: { variable: 'OBSERVABILITY_URL' },
    database: { schema: 'observability', migrations: 'subgraphs/observability/migrations' },
    seed: { module: 'subgraphs/observability/seed.js', export: 'seedObservability', time: 'now' },
    worker: { module: 'subgraphs/observability/worker.js' },
  },
  // The payers, EHR, pharmacy and messaging systems the clinical workflows call, simulated
  // (docs/simulators.md); their base URL is SIMULATORS_URL. On loopback only, whatever HOST says.
  simulators: {
    kind: 'simulator',
    module: 'simulators/index.js',
    port: { variable: 'SIMULATORS_PORT', default: 4010 },
    // Their state is in memory. Stated rather than left out: code that looks a service's
    // database up by name (`SERVICES[name].database`) reads the field of every entry.
    database: undefined,
  },
} as const satisfies Record<string, ServiceEntry>;

type Registry = typeof SERVICES;
export type ServiceName = keyof Registry;
/** Services that listen on a port (every one but standalone workers). */
export type ListeningServiceName = { [K in ServiceName]: Registry[K] extends { port: object } ? K : never }[ServiceName];
export type SubgraphName = { [K in ServiceName]: Registry[K]['kind'] extends SubgraphKind ? K : never }[ServiceName];

/** One registry entry with its name, typed for code that walks every service. */
export type Service = ServiceEntry & { name: ServiceName };

/** Every service, in registry order. */
export const SERVICE_LIST: readonly Service[] = Object.freeze(
  (Object.entries(SERVICES) as [ServiceName, ServiceEntry][]).map(([name, entry]) => Object.freeze({ name, ...entry })),
);

export const isSubgraph = (service: Pick<ServiceEntry, 'kind'>): boolean =>
  service.kind === 'apollo-subgraph' || service.kind === 'mercurius-subgraph';

/** The subgraphs, in registry order. */
export const SUBGRAPH_NAMES: readonly SubgraphName[] = Object.freeze(
  SERVICE_LIST.filter(isSubgraph).map((service) => service.name as SubgraphName),
);

/** The URL of a subgraph on its default port: the default of its URL variable, and what the supergraph records. */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://127.0.0.1:${SERVICES[name].port.default}/graphql`;
}

/** A process `npm start` runs and `npm run service -- <name>` starts: a service, or a service's worker. */
export interface ServiceProcess {
  /** `<service>` or `<service>-worker`. */
  name: string;
  service: Service;
  /** The service's own kind, or `worker` for the worker a service owns. */
  kind: ServiceKind;
  module: string;
}

/**
 * Every process of the platform in start order: the simulators (the outside world the platform
 * calls, up before anything calls it), the subgraphs, then the gateway, then workers.
 */
export function serviceProcesses(services: readonly Service[] = SERVICE_LIST): ServiceProcess[] {
  const own = (service: Service): ServiceProcess => ({ name: service.name, service, kind: service.kind, module: service.module });
  const ofKind = (kind: ServiceKind) => services.filter((service) => service.kind === kind).map(own);
  const workers = services.flatMap((service) => [
    ...(service.kind === 'worker' ? [own(service)] : []),
    ...(service.worker ? [{ name: `${service.name}-worker`, service, kind: 'worker' as const, module: service.worker.module }] : []),
  ]);
  return [...ofKind('simulator'), ...services.filter(isSubgraph).map(own), ...ofKind('gateway'), ...workers];
}

/** The project root: registry paths are relative to it. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The absolute path of a registry path. */
export const resolvePath = (relative: string): string => path.join(ROOT, relative);

/** The folder of a service (its module's folder): a subgraph's `schema.graphql` lives there. */
export const serviceFolder = (name: ServiceName): string => path.dirname(resolvePath(SERVICES[name].module));

/**
 * Where a compiled bundle lists the registry modules it carries, by registry path (the
 * launcher's, see scripts/build.ts): those load from the bundle, not from their files.
 */
export const BUNDLED_MODULES = Symbol.for('caregraph.bundled-modules');

/** Loads a registry module; only the process that needs it pays for it. */
export async function importModule<T>(relative: string): Promise<T> {
  const bundled = (globalThis as { [BUNDLED_MODULES]?: Record<string, () => Promise<unknown>> })[BUNDLED_MODULES]?.[relative];
  return bundled ? ((await bundled()) as T) : runtimeImport<T>(pathToFileURL(resolvePath(relative)).href);
}

/** What a running gateway, subgraph or simulators process offers the code that started it. */
export interface RunningService {
  name: string;
  url: string;
  port: number;
  /** A subgraph's application-role pool (its statement counter is read by tests and benchmarks). */
  db?: Database;
  close(): Promise<void>;
}

/** What a running worker offers the code that started it. */
export interface RunningWorker {
  name: string;
  close(): Promise<void>;
}

/** The module of a gateway, subgraph or the simulators. */
export interface ServiceModule {
  start(options: { config: Config; port?: number }): Promise<RunningService>;
}

/** The module of a worker. */
export interface WorkerModule {
  start(config: Config): Promise<RunningWorker>;
}

/** A service's part of the demo fleet, written as the owner role inside the seeding transaction. */
export type SeedFunction = (client: pg.ClientBase, fleet: DemoFleet, time: Date) => Promise<void>;
