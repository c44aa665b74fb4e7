/**
 * The benchmark: scenarios A and A2 (throughput through four targets), the flood (a partner key
 * at 10× its rate limit beside other tenants' dashboards), D (the noisy neighbour: one tenant's
 * flood of claims beside other tenants' workflow runs), B (SQL statements per request) and C
 * (start-up and seeding) against a database that is already migrated and seeded. `run.ts`
 * prepares that database for `npm run bench`; the harness test passes the test database
 * instead.
 */
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../lib/config.js';
import { presignContexts } from './contexts.js';
import type { Mode } from './modes.js';
import { startChild } from './processes/child.js';
import type { SubgraphsReady } from './processes/subgraphs.js';
import { throughputOperations } from './queries.js';
import { runFlood, type FloodResult } from './scenarios/flood.js';
import { runNoisyNeighbour, type NoisyResult } from './scenarios/noisy-neighbour.js';
import { runNPlusOne, type NPlusOneResult } from './scenarios/n-plus-one.js';
import { runStartup, type StartupResult } from './scenarios/startup.js';
import { runThroughput, type ThroughputRow } from './scenarios/throughput.js';
import { ratiosOf, type Ratio } from './report.js';

/** The `--only` id of the flood scenario. */
export const FLOOD_ID = 'flood';
/** The `--only` ids of scenario D, the noisy neighbour on the workflow queues. */
export const NOISY_IDS = ['noisy', 'D'];

export interface HarnessOptions {
  mode: Mode;
  adminUrl: string;
  /** Folder of the platform's data (context keys, database binding key); scenario C works beside it. */
  dataDir: string;
  /** Password of the application role in that database. */
  appPassword: string;
  /** Folder for CPU profiles of the gateway processes; none when absent. */
  profileDirectory?: string;
  /**
   * Run only these operations of scenarios A and A2 (ids such as `A-fleet`) and the flood scenario
   * when `flood` is among them, and scenario D when `noisy` (or `D`) is; all when absent. B and
   * C run either way.
   */
  only?: string[];
  log?: (line: string) => void;
}

export interface BenchReport {
  mode: Mode['name'];
  startedAt: string;
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string };
  settings: Pick<Mode, 'connections' | 'warmupSeconds' | 'durationSeconds'> & { tenantsInDatabase: number };
  throughput: ThroughputRow[];
  ratios: Ratio[];
  /** The flood scenario; null when `only` left it out. */
  flood: FloodResult | null;
  /** Scenario D, the noisy neighbour; null when `only` left it out. */
  noisy: NoisyResult | null;
  nPlusOne: NPlusOneResult;
  startup: StartupResult;
}

export async function runHarness(options: HarnessOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const env = benchEnvironment(options);
  const config = loadConfig(env);
  const { tenantId, tenants } = await benchTenant(options.adminUrl);
  const operations = throughputOperations(tenantId).filter((operation) => !options.only || options.only.includes(operation.id));
  const floodScenario = !options.only || options.only.includes(FLOOD_ID);
  const noisyScenario = !options.only || options.only.some((only) => NOISY_IDS.includes(only));
  if (operations.length === 0 && !floodScenario && !noisyScenario) {
    throw new Error(`--only matches no operation (known: ${[...throughputOperations(tenantId).map((o) => o.id), FLOOD_ID, NOISY_IDS[0]].join(', ')})`);
  }
  const contexts = await presignContexts(config, options.adminUrl, operations.map((operation) => operation.scope));

  const runStartupScenario = () =>
    runStartup({
      dataDir: path.join(path.dirname(options.dataDir), `${path.basename(options.dataDir)}-start`),
      adminUrl: options.adminUrl,
      appPassword: options.appPassword,
      gatewayPassword: config.database.gatewayPassword,
      seedTenants: options.mode.seedTenants,
      restartOnExistingFolder: options.mode.restartOnExistingFolder,
      log,
    });
  const startupAlongside = options.mode.startupAlongside ? runStartupScenario() : undefined;
  // Settled at once so that a failure of A or B cannot leave it unobserved.
  startupAlongside?.catch(() => undefined);

  log(`A  starting the subgraphs and the load generator (${options.mode.connections} connections, ` +
    `${options.mode.warmupSeconds} s warm-up, ${options.mode.durationSeconds} s measured)`);
  const subgraphs = await startChild<SubgraphsReady>('subgraphs', {}, { env });
  let throughput: ThroughputRow[] = [];
  let flood: FloodResult | null = null;
  let noisy: NoisyResult | null = null;
  try {
    const load = await startChild<{ pid: number }>('load', {}, { env });
    try {
      if (operations.length > 0) {
        throughput = await runThroughput({
          mode: options.mode,
          config,
          env,
          operations,
          contexts,
          subgraphs,
          load,
          profileDirectory: options.profileDirectory,
          log,
        });
      }
      if (floodScenario) {
        log('flood    a partner key at 10× its rate limit beside other tenants\' dashboards (same subgraphs and load generator)');
        flood = await runFlood({
          mode: options.mode,
          config,
          env,
          adminUrl: options.adminUrl,
          contexts,
          subgraphs,
          load,
          profileDirectory: options.profileDirectory,
          log,
        });
      }
    } finally {
      await load.stop();
    }
    if (noisyScenario) {
      log('D  noisy neighbour: one tenant floods the claims queue at 20× beside other tenants\' checks and claims (same subgraphs)');
      noisy = await runNoisyNeighbour({ mode: options.mode, config, env, adminUrl: options.adminUrl, contexts, subgraphs, log });
    }
  } finally {
    await subgraphs.stop();
  }

  log('B  SQL statements per request');
  const nPlusOne = await runNPlusOne(config, options.adminUrl, options.mode.pageSizes);
  const startup = await (startupAlongside ?? runStartupScenario());

  return {
    mode: options.mode.name,
    startedAt,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    settings: {
      connections: options.mode.connections,
      warmupSeconds: options.mode.warmupSeconds,
      durationSeconds: options.mode.durationSeconds,
      tenantsInDatabase: tenants,
    },
    throughput,
    ratios: ratiosOf(throughput),
    flood,
    noisy,
    nPlusOne,
    startup,
  };
}

/**
 * The environment of every process of a run: the same database, the same keys, loopback only.
 * Keys come from the data folder; a signing key in the caller's environment must not leak in.
 * Rate limits are off: scenarios A and A2 send far more per user than any plan allows, and the
 * peers they are compared with limit nothing. The flood scenario (bench/scenarios/flood.ts)
 * turns them on for its own gateway.
 */
export function benchEnvironment(options: Pick<HarnessOptions, 'adminUrl' | 'appPassword' | 'dataDir'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.adminUrl,
    DATABASE_APP_PASSWORD: options.appPassword,
    CAREGRAPH_DATA_DIR: options.dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMITS: 'off',
  };
  delete env.CONTEXT_SIGNING_KEY;
  delete env.CONTEXT_VERIFY_KEY;
  return env;
}

/** A tenant with a partner (so the dashboard crosses every subgraph), and the fleet size. */
export async function benchTenant(adminUrl: string): Promise<{ tenantId: string; tenants: number }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; n: number }>(
      `SELECT (SELECT id FROM tenancy.tenants WHERE partner_id IS NOT NULL ORDER BY slug LIMIT 1) AS id,
              (SELECT count(*)::int FROM tenancy.tenants) AS n`,
    );
    const row = rows[0];
    if (!row?.id) throw new Error('The benchmark needs a seeded database (no tenant with a partner found)');
    return { tenantId: row.id, tenants: row.n };
  } finally {
    await client.end();
  }
}
