/**
 * `npm start` as a user runs it (embedded PostgreSQL, free ports, a data folder of its own):
 * a subgraph process killed with SIGKILL is started again by the launcher, which logs why,
 * while the gateway goes on answering (the dead subgraph's fields null with
 * SUBGRAPH_UNAVAILABLE, never a 5xx); full answers return once it is back; the embedded
 * PostgreSQL killed the same way is started again, every answer meanwhile coded; and Ctrl-C
 * stops the whole platform cleanly, leaving no process behind. Loopback only, one client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmStartEnvironment } from '../../bench/processes/npm-start-env.js';
import { processGroupMembers } from '../../bench/processes/proc-stats.js';
import { ROOT } from '../../lib/services.js';

const READY_TIMEOUT_MS = 180_000;
const QUERY = '{ tenants(first: 2) { edges { node { name subscription { status } health { requestCount } } } } }';

let dataDir: string;
let logFile: string;
let launcher: ChildProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let gatewayUrl: string;
let token: string;

const log = () => fs.readFileSync(logFile, 'utf8');

/** The pid of the launcher's service process named `name` (`node dist/run.cjs <name>`). */
function servicePid(name: string): number | undefined {
  return processGroupMembers(launcher.pid!).find(({ argv }) => /[/\\]run\.cjs$/.test(argv.at(-2) ?? '') && argv.at(-1) === name)?.pid;
}

async function ask(): Promise<{ status: number; body: { data?: unknown; errors?: { extensions?: { code?: string } }[] } }> {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

beforeAll(async () => {
  // Under the project's own data folder, as the benchmark's starts: a folder the embedded
  // PostgreSQL (the postgres user, when the tests run as root) can enter.
  dataDir = path.join(ROOT, '.caregraph', `fault-launcher-${process.pid}`);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
  logFile = `${dataDir}.log`;
  const { env, gatewayPort } = await npmStartEnvironment(dataDir, { NODE_ENV: 'development' });
  const output = fs.openSync(logFile, 'a');
  // Its own process group: the test finds the service processes in it, and stops them all.
  launcher = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', output, output] });
  exited = new Promise((resolve) => launcher.once('exit', (code, signal) => resolve({ code, signal })));
  gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const credentials = path.join(dataDir, 'demo-credentials.json');
  while (!fs.existsSync(credentials) || !log().includes('Ctrl-C stops everything')) {
    if (launcher.exitCode !== null) throw new Error(`npm start exited with code ${launcher.exitCode}:\n${log()}`);
    if (Date.now() > deadline) throw new Error(`npm start was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  token = (JSON.parse(fs.readFileSync(credentials, 'utf8')) as { principals: { platformAdmin: { token: string } } }).principals.platformAdmin.token;
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (launcher?.exitCode === null) {
    try {
      process.kill(-launcher.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(logFile, { force: true });
});

describe('npm start, supervising its processes', () => {
  it('starts a subgraph killed with SIGKILL again, logging why, while the gateway keeps answering', async () => {
    expect((await ask()).body.errors).toBeUndefined();
    const victim = servicePid('observability');
    expect(victim, 'the observability process').toBeDefined();
    process.kill(victim!, 'SIGKILL');
    const killedAt = Date.now();
    const statuses: number[] = [];
    let sawPartial = false;
    let recoveredAfterMs: number | undefined;
    while (Date.now() - killedAt < 30_000) {
      const answer = await ask();
      statuses.push(answer.status);
      const codes = (answer.body.errors ?? []).map((error) => error.extensions?.code);
      if (codes.length > 0) {
        expect(codes.every((code) => code === 'SUBGRAPH_UNAVAILABLE')).toBe(true);
        sawPartial = true;
      } else if (servicePid('observability') !== undefined && servicePid('observability') !== victim) {
        recoveredAfterMs = Date.now() - killedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(sawPartial).toBe(true);
    expect(recoveredAfterMs, 'full answers again after the restart').toBeDefined();
    expect(log()).toMatch(/observability killed by SIGKILL after \d+\.\d s; restarting in 1\.0 s/);
    expect(launcher.exitCode).toBeNull();
  });

  it('starts the embedded PostgreSQL again when it is killed, while every answer meanwhile is coded', async () => {
    const postmaster = processGroupMembers(launcher.pid!).find(({ argv }) => /postgres$/.test(argv[0] ?? '') && argv.includes('-D'));
    expect(postmaster, 'the embedded PostgreSQL').toBeDefined();
    process.kill(postmaster!.pid, 'SIGKILL');
    const killedAt = Date.now();
    const codes = new Set<string>();
    let recoveredAfterMs: number | undefined;
    while (Date.now() - killedAt < 60_000) {
      const answer = await ask();
      const seen = (answer.body.errors ?? []).map((error) => error.extensions?.code ?? 'NONE');
      for (const code of seen) codes.add(code);
      if (seen.length === 0 && Date.now() - killedAt > 500) {
        recoveredAfterMs = Date.now() - killedAt;
        break;
      }
      expect([200, 503]).toContain(answer.status);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(recoveredAfterMs, 'full answers again once PostgreSQL is back').toBeDefined();
    expect([...codes].every((code) => code === 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(log()).toMatch(/PostgreSQL killed by SIGKILL; restarting it in 1\.0 s/);
    expect(launcher.exitCode).toBeNull();
  });

  it('stops every process on Ctrl-C, each gracefully, and leaves none behind', async () => {
    // What Ctrl-C in a terminal does: SIGINT to the whole group.
    process.kill(-launcher.pid!, 'SIGINT');
    const outcome = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 40_000))]);
    expect(outcome).not.toBe('timeout');
    // npm passes the signal on and ends by it; the launcher itself stopped cleanly.
    expect(outcome === 'timeout' ? '' : String(outcome.code ?? outcome.signal)).toMatch(/^(0|SIGINT)$/);
    expect(log()).toContain('[caregraph] stopped');
    expect(log()).not.toMatch(/did not stop/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(processGroupMembers(launcher.pid!).map(({ argv }) => argv.join(' '))).toEqual([]);
  });
});
