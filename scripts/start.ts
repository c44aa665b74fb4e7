/**
 * `npm start`: the whole platform on this machine. Starts (or connects to) PostgreSQL,
 * migrates as the owner role, seeds the demo fleet when the database is empty (never in
 * production), runs every process of the service registry (lib/services.ts: the subgraphs,
 * the gateway, then the services' workers) separately, with only the credentials each needs
 * (see service-env.ts), and prints where to go. Ctrl-C stops everything; the data stays in
 * the data folder for the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, requireAppPassword } from '../lib/config.js';
import { appUrl, openDatabaseServer } from '../lib/db/index.js';
import { prettyPrint } from '../lib/log-format.js';
import { serviceProcesses } from '../lib/services.js';
import { createDemoCredentials, demoPlan, writeDemoCredentials } from './demo-credentials.js';
import { migrateAll, seedDemo, tenantCount } from './platform.js';
import { BUILD_DIR, buildIfStale, PROJECT_ROOT } from './build.js';
import { contextVerifyKeyOf, serviceEnv } from './service-env.js';

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
  // Services run compiled (see build.ts); `npm start` has built already, a start from source may not have.
  if (await buildIfStale()) log(`compiled the services into ${path.relative(process.cwd(), BUILD_DIR)}`);
  log(config.database.url ? 'using DATABASE_URL' : `starting embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}`);
  const database = await openDatabaseServer(config);
  const children: ChildProcess[] = [];
  let stopping = false;
  let plan: ReturnType<typeof demoPlan>;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await Promise.all(children.map((child) => terminate(child)));
    await database.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const applied = await migrateAll(database.adminUrl);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema up to date');
    plan = demoPlan(config.env, await tenantCount(database.adminUrl));
    if (plan.notice) log(plan.notice);
    if (plan.seed) {
      log(`seeding the demo fleet (${DEMO_TENANTS} tenants)`);
      await seedDemo(database.adminUrl, { tenants: DEMO_TENANTS });
    }
    // Services get the application role only; the admin URL stays in this process.
    const applicationUrl = appUrl(database.adminUrl, requireAppPassword(config));
    for (const target of serviceProcesses()) {
      const service = target.name;
      const child = spawnService(service, serviceEnv(target, process.env, {
          appUrl: applicationUrl,
          dataDir: config.dataDir,
          logLevel: config.logLevel,
          contextVerifyKey: contextVerifyKeyOf(config),
        }));
      child.on('exit', (code, signal) => {
        if (!stopping) {
          console.error(`[caregraph] ${service} exited (${signal ?? `code ${code}`}); stopping the platform`);
          void stop(1);
        }
      });
      children.push(child);
    }
    await waitForReady(`http://${config.host}:${config.ports.gateway}/readyz`);
  } catch (error) {
    console.error(`[caregraph] start failed: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  const base = `http://${displayHost(config.host)}:${config.ports.gateway}`;
  if (!plan.credentials) {
    log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`\n  GraphQL API   ${base}/graphql\n  Health        ${base}/healthz   ${base}/readyz\n`);
    return;
  }
  let credentialsFile: string;
  try {
    credentialsFile = writeDemoCredentials(config, await createDemoCredentials(config, database.adminUrl, `${base}/graphql`));
  } catch (error) {
    console.error(`[caregraph] could not write demo credentials: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`
  GraphQL API   ${base}/graphql
  Health        ${base}/healthz   ${base}/readyz
  Data folder   ${config.dataDir}

  Demo credentials  ${credentialsFile}
    (tokens for a platform admin, tenant A's admin, clinician and biller, an analyst and a partner admin,
     and a partner API key; valid 12 hours, renewed at every start)

  Try:  TOKEN=$(node -p "require('${credentialsFile}').principals.platformAdmin.token")
        curl -s ${base}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
          -d '{"query":"{ tenants(first: 3) { totalCount edges { node { name tier subscription { plan { name } } clinicalSummary { patientCount } health { availability } } } } }"}'

  Ctrl-C stops everything; data is kept for the next start.
`);
}

/**
 * Runs one process of the registry from the compiled build (`node dist/scripts/service.js
 * <name>`), as a deployment runs it: no TypeScript loader, so less start-up and memory. Its
 * JSON log lines are made readable when this process writes to a terminal (lib/log-format.ts)
 * and passed through as they are otherwise.
 */
function spawnService(service: string, env: NodeJS.ProcessEnv): ChildProcess {
  const pretty = process.stdout.isTTY;
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, path.join(BUILD_DIR, 'scripts', 'service.js'), service], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', pretty ? 'pipe' : 'inherit', 'inherit'],
  });
  if (pretty && child.stdout) prettyPrint(child.stdout, process.stdout, { color: process.stdout.hasColors() });
  if (child.pid !== undefined && serviceProcesses().find((candidate) => candidate.name === service)?.kind === 'worker') {
    try {
      os.setPriority(child.pid, WORKER_NICENESS);
    } catch (error) {
      console.warn(`[caregraph] ${service} runs at normal priority: ${(error as Error).message}`);
    }
  }
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
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
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    // Often: a poll is one local request, and every 250 ms waited is start-up time lost.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the platform was not ready within ${READY_TIMEOUT_MS / 1000} s (${url})`);
}

const displayHost = (host: string) => (host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host);

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[caregraph] ${(error as Error).message}`);
  process.exit(1);
});
