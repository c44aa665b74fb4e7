/**
 * `npm start`: the whole platform on this machine. Starts (or connects to) PostgreSQL,
 * migrates as the owner role, seeds the demo fleet when the database is empty (never in
 * production), runs the four subgraphs and the gateway as separate processes with only the
 * credentials each needs (see service-env.ts), and prints where to go. Ctrl-C stops
 * everything; the data stays in the data folder for the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig, requireAppPassword, SUBGRAPH_NAMES, type ServiceName } from '../lib/config.js';
import { appUrl, openDatabaseServer } from '../lib/db/index.js';
import { ROOT } from '../lib/federation/compose.js';
import { createDemoCredentials, demoPlan, writeDemoCredentials } from './demo-credentials.js';
import { migrateAll, seedDemo, tenantCount } from './platform.js';
import { contextVerifyKeyOf, serviceEnv } from './service-env.js';

const DEMO_TENANTS = 40;
const READY_TIMEOUT_MS = 90_000;

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  const log = (message: string) => console.log(`[caregraph] ${message}`);
  log(config.database.url ? 'using DATABASE_URL' : `starting embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}`);
  const database = await openDatabaseServer(config);
  const children: ChildProcess[] = [];
  let stopping = false;
  let plan = demoPlan(config.env, 0);

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
    for (const service of [...SUBGRAPH_NAMES, 'gateway'] as const) {
      const child = spawnService(service, serviceEnv(service, process.env, {
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

function spawnService(service: ServiceName, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'service.ts'), service], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the platform was not ready within ${READY_TIMEOUT_MS / 1000} s (${url})`);
}

const displayHost = (host: string) => (host === '0.0.0.0' || host === '127.0.0.1' ? 'localhost' : host);

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `[caregraph] ${(error as Error).message}`);
  process.exit(1);
});
