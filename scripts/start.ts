/**
 * `npm start`: the whole platform on this machine. Starts (or connects to) PostgreSQL,
 * migrates as the owner role, seeds the demo fleet when the database is empty (never in
 * production), runs every process of the service registry (lib/services.ts: the simulators of
 * the external systems, the subgraphs, the gateway, then the services' workers) separately,
 * with only the credentials each needs
 * (see service-env.ts), and prints where to go. A process that crashes is restarted with
 * backoff while the others go on serving (supervisor.ts). Ctrl-C stops everything gracefully;
 * the data stays in the data folder for the next start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, requireAppPassword } from '../lib/config.js';
import { appUrl, openDatabaseServer, planDatabaseServer, type DatabaseServer } from '../lib/db/index.js';
import { prettyPrint } from '../lib/log-format.js';
import { serviceProcesses, type ServiceProcess } from '../lib/services.js';
import { createDemoCredentials, demoPlan, writeDemoCredentials } from './demo-credentials.js';
import { migrateAll, seedDemo, tenantCount } from './platform.js';
import { BUILD_DIR, BUNDLE_RUNNER, isBuildStale, LAUNCHER_BUNDLE, PROJECT_ROOT } from './build.js';
import { PROCESS_READY_MESSAGE, reportProcessReady } from './service-process.js';
import { contextVerifyKeyOf, needsDatabase, serviceEnv } from './service-env.js';
import { Supervisor } from './supervisor.js';

const DEMO_TENANTS = 40;
const READY_TIMEOUT_MS = 90_000;
/**
 * Node flags of every service process. A young generation of 2 MB semi-spaces instead of 16
 * keeps an idle service about 20 MB smaller (the gateway ~110 MB instead of ~130) for a few
 * more scavenges under load (docs/performance.md).
 */
const SERVICE_NODE_FLAGS = ['--max-semi-space-size=2'];
/**
 * Workers run niced: background jobs yield the CPU to the processes answering requests, and
 * to their start-up, during which every process loads its modules at the same moment.
 */
const WORKER_NICENESS = 10;

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const log = (message: string) => console.log(`[caregraph] ${message}`);
  // Services run compiled (see build.ts). A source newer than the build: build from the sources,
  // then start the new build of this launcher too. From the sources, not with the build code
  // compiled into this launcher: that is as old as the build, and would leave out a service
  // (or any change to the build) added since.
  if (isBuildStale()) {
    const began = Date.now();
    buildFromSources();
    log(`compiled the services into ${path.relative(process.cwd(), BUILD_DIR)} in ${Date.now() - began} ms`);
    await restartCompiled();
    return;
  }
  // A process that exits after the platform is up is started again (supervisor.ts); during the
  // start, an exit fails the start instead (its `ready` rejects).
  const supervisor = new Supervisor({ log: (message) => console.error(`[caregraph] ${message}`) });
  let stopping = false;
  let database: DatabaseServer | undefined;
  let plan: ReturnType<typeof demoPlan>;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await Promise.all(supervisor.stop().map((child) => terminate(child, config.shutdownGraceMs)));
    await database?.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const planned = await planDatabaseServer(config);
  /**
   * The embedded PostgreSQL is one of the platform's processes too: if it dies, it is started
   * again on the same port and folder, with the same back-off as the services. Meanwhile the
   * services answer SERVICE_UNAVAILABLE, and their pools reconnect once it is back.
   */
  let databaseCrashes = 0;
  const superviseDatabase = (server: DatabaseServer) => {
    const upSince = Date.now();
    server.onExit?.((reason) => {
      if (stopping) return;
      databaseCrashes = Date.now() - upSince >= 60_000 ? 1 : databaseCrashes + 1;
      const delayMs = Math.min(30_000, 1_000 * 2 ** (databaseCrashes - 1));
      console.error(`[caregraph] PostgreSQL ${reason}; restarting it in ${(delayMs / 1000).toFixed(1)} s`);
      setTimeout(() => {
        if (stopping) return;
        openDatabaseServer(config, { embeddedPort: planned.embeddedPort })
          .then((restarted) => {
            database = restarted;
            log('PostgreSQL is back');
            superviseDatabase(restarted);
          })
          .catch((error: unknown) => {
            console.error(`[caregraph] PostgreSQL did not start again: ${(error as Error).message}`);
            superviseDatabase(server);
          });
      }, delayMs);
    });
  };
  const run = (target: ServiceProcess, appUrl?: string): Promise<void> => {
    const env = serviceEnv(target, process.env, {
      appUrl,
      gatewayUrl: planned.gatewayUrl,
      dataDir: config.dataDir,
      logLevel: config.logLevel,
      contextVerifyKey: contextVerifyKeyOf(config),
    });
    let firstStart: Promise<void> | undefined;
    supervisor.supervise(target.name, () => {
      const { child, ready } = spawnService(target, env);
      firstStart ??= ready;
      return child;
    });
    return firstStart!;
  };

  try {
    // The gateway needs no database to start: it loads while PostgreSQL starts and the schema is
    // checked (its rate-limit counters are reached on its first request, on the planned port),
    // and answers ready once the subgraphs it probes do. The simulators need none at all.
    const serving = serviceProcesses().filter((candidate) => !needsDatabase(candidate)).map((target) => run(target));
    log(config.database.url ? 'using DATABASE_URL' : `starting embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}`);
    database = await openDatabaseServer(config, { embeddedPort: planned.embeddedPort });
    superviseDatabase(database);
    const applied = await migrateAll(database.adminUrl);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');
    plan = demoPlan(config.env, await tenantCount(database.adminUrl));
    if (plan.notice) log(plan.notice);
    if (plan.seed) {
      log(`seeding the demo fleet (${DEMO_TENANTS} tenants)`);
      await seedDemo(database.adminUrl, { tenants: DEMO_TENANTS, regionServers: config.database.regionServers, statementTimeoutMs: config.database.statementTimeoutMs });
    }
    // Services get the application role only; the admin URL stays in this process.
    const applicationUrl = appUrl(database.adminUrl, requireAppPassword(config));
    const [background, subgraphs] = partition(serviceProcesses().filter(needsDatabase), (target) => target.kind === 'worker');
    serving.push(...subgraphs.map((target) => run(target, applicationUrl)));
    // Each process says when it listens (no polling to slow them down); /readyz then confirms
    // the gateway reaches every subgraph.
    await within(READY_TIMEOUT_MS, Promise.all(serving), 'the services did not all start');
    await waitForReady(`http://${config.host}:${config.ports.gateway}/readyz`);
    // Workers serve no request: they start once the API is up instead of competing with it for
    // the CPU while every service loads. Jobs wait in their queues meanwhile; nothing is lost.
    for (const target of background) void run(target, applicationUrl);
  } catch (error) {
    console.error(`[caregraph] start failed: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  const adminUrl = database.adminUrl;
  const base = `http://${displayHost(config.host)}:${config.ports.gateway}`;
  // Loopback only, whatever HOST says (simulators/index.ts): 127.0.0.1, not a name that may resolve to ::1.
  const simulators = `Simulators    http://127.0.0.1:${config.ports.simulators}   (payers, EHR, pharmacy, messaging: docs/simulators.md)`;
  if (!plan.credentials) {
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`\n  GraphQL API   ${base}/graphql\n  Explorer      ${base}/graphiql\n  Health        ${base}/healthz   ${base}/readyz\n  ${simulators}\n`);
    reportProcessReady();
    return;
  }
  let credentialsFile: string;
  try {
    credentialsFile = writeDemoCredentials(config, await createDemoCredentials(config, adminUrl, `${base}/graphql`));
  } catch (error) {
    console.error(`[caregraph] could not write demo credentials: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`
  GraphQL API   ${base}/graphql
  Explorer      ${base}/graphiql
  Health        ${base}/healthz   ${base}/readyz
  ${simulators}
  Data folder   ${config.dataDir}

  Demo credentials  ${credentialsFile}
    (tokens for a platform admin, tenant A's admin, clinician and biller, an analyst and a partner admin,
     and two partner API keys, one of them safelist-only; valid 12 hours, renewed at every start)

  Try:  TOKEN=$(node -p "require('${credentialsFile}').principals.platformAdmin.token")
        curl -s ${base}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
          -d '{"query":"{ tenants(first: 3) { totalCount edges { node { name tier subscription { plan { name } } clinicalSummary { patientCount } health { availability } } } } }"}'

  Ctrl-C stops everything; data is kept for the next start.
`);
  reportProcessReady();
}

/**
 * Runs the launcher just built in place of this one, which is older than its sources. A signal
 * for this process is passed on: Ctrl-C in a terminal reaches both (one process group), but a
 * supervisor or `kill` signals this one only. The new launcher stops once however often told.
 */
/** `node --import tsx scripts/build.ts`, as `npm start` builds a fresh clone (launch.mjs); exits when it fails. */
function buildFromSources(): void {
  const built = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'build.ts')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

async function restartCompiled(): Promise<void> {
  const child = spawn(process.execPath, [path.join(BUILD_DIR, BUNDLE_RUNNER), LAUNCHER_BUNDLE], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
  process.exit(code);
}

/**
 * Runs one process of the registry from its compiled bundle (`node dist/run.cjs <name>`, see
 * build.ts), as a deployment runs it: no TypeScript loader, so less start-up and memory. Its
 * JSON log lines are made readable when this process writes to a terminal (lib/log-format.ts)
 * and passed through as they are otherwise. `ready` settles when the process reports that it
 * serves (scripts/service-process.ts, over the IPC channel), or exits first.
 */
function spawnService(target: ServiceProcess, env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void> } {
  const pretty = process.stdout.isTTY;
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, path.join(BUILD_DIR, BUNDLE_RUNNER), target.name], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', pretty ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message) => {
      if ((message as { type?: string } | null)?.type === PROCESS_READY_MESSAGE) resolve();
    });
    child.once('exit', () => reject(new Error(`${target.name} exited before it was ready`)));
  });
  // Settled by the exit handler of the caller when it matters; never an unhandled rejection.
  ready.catch(() => undefined);
  if (pretty && child.stdout) prettyPrint(child.stdout, process.stdout, { color: process.stdout.hasColors() });
  if (child.pid !== undefined && target.kind === 'worker') {
    try {
      os.setPriority(child.pid, WORKER_NICENESS);
    } catch (error) {
      console.warn(`[caregraph] ${target.name} runs at normal priority: ${(error as Error).message}`);
    }
  }
  return { child, ready };
}

/**
 * Stops a process with SIGTERM: it stops taking work, finishes what it has within `graceMs`
 * (SHUTDOWN_GRACE_MS) and exits; one still running a few seconds past that is killed.
 */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs + 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await statusOf(url)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the platform was not ready within ${READY_TIMEOUT_MS / 1000} s (${url})`);
}

/** The status of a GET, or 0 when nothing answers within a second (node:http: fetch costs this process more to load than the whole wait). */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function partition<T>(items: readonly T[], predicate: (item: T) => boolean): [T[], T[]] {
  return [items.filter(predicate), items.filter((item) => !predicate(item))];
}

const displayHost = (host: string) => (host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host);

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[caregraph] ${(error as Error).message}`);
  process.exit(1);
});
