/**
 * Scenario C: how long the platform takes to become ready. `npm start` is run as a user
 * would run it, on non-default ports, with a fresh data folder (initialise PostgreSQL,
 * migrate, seed, start five services) and then again on the folder it left behind; the
 * clock stops at the first 200 from the gateway's /readyz. Seeding is timed separately in a
 * scratch database on the benchmark's server.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from '../../lib/federation/compose.js';
import { ensureRoles } from '../../lib/db/index.js';
import { serviceProcesses } from '../../lib/services.js';
import { migrateAll, seedDemo } from '../../scripts/platform.js';
import { npmStartEnvironment } from '../processes/npm-start-env.js';
import { memoryOf, processGroupMembers, waitUntilIdle } from '../processes/proc-stats.js';

const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 30_000;

export interface StartupResult {
  emptyFolderSeconds: number;
  /** Null when the mode skips the second start. */
  existingFolderSeconds: number | null;
  /**
   * Resident memory of each service process once the platform is ready and idle, in MB, after
   * the last start (Linux only; empty elsewhere).
   */
  idleRssMb: Record<string, number>;
  seed: { tenants: number; seconds: number };
}

export async function runStartup(options: {
  /** A folder of its own, created here and removed afterwards. */
  dataDir: string;
  adminUrl: string;
  /** Password of the application role on that server (roles are shared by its databases). */
  appPassword: string;
  /**
   * Password of the gateway role on that server, likewise: the scratch database's role set-up
   * would otherwise clear it, and the gateway of a scenario running alongside could no longer
   * reach its rate-limit counters.
   */
  gatewayPassword: string | undefined;
  seedTenants: number;
  restartOnExistingFolder: boolean;
  log(line: string): void;
}): Promise<StartupResult> {
  fs.rmSync(options.dataDir, { recursive: true, force: true });
  try {
    options.log('C  npm start on an empty data folder');
    const first = await timeNpmStart(options.dataDir);
    let second: StartTiming | null = null;
    if (options.restartOnExistingFolder) {
      options.log('C  npm start on the existing data folder');
      second = await timeNpmStart(options.dataDir);
    }
    options.log(`C  seeding ${options.seedTenants} tenants`);
    const seed = { tenants: options.seedTenants, seconds: await timeSeed(options.adminUrl, options.appPassword, options.gatewayPassword, options.seedTenants) };
    return {
      emptyFolderSeconds: first.seconds,
      existingFolderSeconds: second?.seconds ?? null,
      idleRssMb: (second ?? first).idleRssMb,
      seed,
    };
  } finally {
    fs.rmSync(options.dataDir, { recursive: true, force: true });
  }
}

interface StartTiming {
  seconds: number;
  idleRssMb: Record<string, number>;
}

/**
 * Seconds from spawning `npm start` to the gateway's first ready answer; then, with the clock
 * stopped, the resident memory of each service process once they are idle.
 */
async function timeNpmStart(dataDir: string): Promise<StartTiming> {
  // The embedded database is what is being timed, whatever server the caller uses.
  const { env, gatewayPort: gateway } = await npmStartEnvironment(dataDir);

  // npm start's output goes to a file beside the data folder, kept only when something fails.
  const logFile = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.log`);
  const log = fs.openSync(logFile, 'a');
  let succeeded = false;
  const started = performance.now();
  // Its own process group, so that stopping it reaches npm, the launcher, the services and
  // PostgreSQL alike, as Ctrl-C in a terminal does.
  const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', log, log] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = started + READY_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`npm start exited with code ${child.exitCode} (see ${dataDir}.log)`);
      try {
        const response = await fetch(`http://127.0.0.1:${gateway}/readyz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) {
          const seconds = (performance.now() - started) / 1000;
          succeeded = true;
          return { seconds, idleRssMb: await idleServiceRss(child.pid!) };
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`npm start was not ready within ${READY_TIMEOUT_MS / 1000} s (see ${dataDir}.log)`);
  } finally {
    await stopGroup(child.pid!, exited);
    fs.closeSync(log);
    if (succeeded) fs.rmSync(logFile, { force: true });
  }
}

/**
 * RSS in MB of every service process in the group, once they stop using CPU. Workers start
 * after the gateway is ready: they are waited for (up to 15 s) before anything is read.
 */
async function idleServiceRss(pgid: number): Promise<Record<string, number>> {
  const members = () =>
    processGroupMembers(pgid).flatMap(({ pid, argv }) => {
      const script = argv.findIndex((arg) => /(scripts[/\\]service\.[jt]s|[/\\]run\.cjs)$/.test(arg));
      const name = script >= 0 ? argv[script + 1] : undefined;
      return name ? [{ pid, name }] : [];
    });
  const expected = serviceProcesses().length;
  const deadline = Date.now() + 15_000;
  let services = members();
  while (services.length < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    services = members();
  }
  await waitUntilIdle(services.map((service) => service.pid), 10_000);
  const rss: Record<string, number> = {};
  for (const { pid, name } of services) {
    const memory = memoryOf(pid);
    if (memory) rss[name] = Math.round(memory.rss / 1024 ** 2);
  }
  return rss;
}

async function stopGroup(pgid: number, exited: Promise<void>): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  signalGroup(pgid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) signalGroup(pgid, 'SIGKILL');
  await exited;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Seconds to seed `tenants` tenants into a freshly migrated scratch database. */
async function timeSeed(adminUrl: string, appPassword: string, gatewayPassword: string | undefined, tenants: number): Promise<number> {
  const database = `caregraph_bench_seed_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    try {
      // No service uses this scratch database: any binding key will do. The roles are the
      // server's, so their passwords stay what they are.
      await ensureRoles(url.toString(), { appPassword, gatewayPassword, bindingKey: randomBytes(32).toString('base64url'), statementTimeoutMs: 5000 });
      await migrateAll(url.toString());
      const started = performance.now();
      await seedDemo(url.toString(), { tenants });
      return (performance.now() - started) / 1000;
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
