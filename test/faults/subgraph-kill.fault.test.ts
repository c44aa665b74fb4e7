/**
 * The observability subgraph as a real process, killed with SIGKILL under load and started
 * again on the same port. Meanwhile the gateway (in this process, with the other subgraphs)
 * keeps answering every request: 200 with the other subgraphs' fields and SUBGRAPH_UNAVAILABLE
 * for the dead one's, never a 5xx for the whole response, never a crash; and once the process
 * is back, full answers return within 5 s (the breaker's cool-down is 1 s by default).
 * Loopback only; a few clients for a few seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as gateway from '../../gateway/index.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../lib/config.js';
import { appUrl } from '../../lib/db/index.js';
import { ROOT, type RunningService } from '../../lib/services.js';
import { PROCESS_READY_MESSAGE } from '../../scripts/service-process.js';
import { SUBGRAPHS } from '../../scripts/platform.js';
import { TEST_APP_PASSWORD, testEnvironment } from '../support/env.js';
import { adminUrl, bearer, testConfig } from '../support/platform.js';

const KILLED: SubgraphName = 'observability';
const CLIENTS = 4;
/** The bound: a subgraph back is used again within this. */
const RECOVERY_LIMIT_MS = 5_000;
const QUERY = '{ tenants(first: 2) { edges { node { name subscription { status } health { requestCount } } } } }';

/** A free loopback port, so that the killed process can be started again on the same one. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the subgraph as its own process (scripts/service.ts, as a deployment runs it); resolves once it serves. */
async function startProcess(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'service.ts'), KILLED], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnvironment(inject('dataDir')),
      DATABASE_APP_URL: appUrl(adminUrl(), TEST_APP_PASSWORD),
      HOST: '127.0.0.1',
      OBSERVABILITY_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${KILLED} did not start within 60 s: ${stderr}`)), 60_000);
    child.on('message', (message) => {
      if ((message as { type?: string } | null)?.type !== PROCESS_READY_MESSAGE) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${KILLED} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** One answer as a client saw it. */
interface Sample {
  sentAt: number;
  doneAt: number;
  status: number;
  /** Every tenant named, its subscription and its health there, no error. */
  full: boolean;
  /** Tenants and subscriptions there, health null, and every error SUBGRAPH_UNAVAILABLE. */
  partial: boolean;
}

type Node = { name: unknown; subscription: unknown; health: unknown };

function classify(sentAt: number, status: number, text: string): Sample {
  const doneAt = performance.now();
  let body: { data?: { tenants?: { edges: { node: Node }[] } } | null; errors?: { extensions?: { code?: unknown } }[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { sentAt, doneAt, status, full: false, partial: false };
  }
  const nodes = body.data?.tenants?.edges.map((edge) => edge.node) ?? [];
  const served = nodes.length === 2 && nodes.every((node) => typeof node.name === 'string' && node.subscription !== null);
  const full = served && !body.errors && nodes.every((node) => node.health !== null);
  const partial =
    served &&
    nodes.every((node) => node.health === null) &&
    (body.errors?.length ?? 0) > 0 &&
    body.errors!.every((error) => error.extensions?.code === 'SUBGRAPH_UNAVAILABLE');
  return { sentAt, doneAt, status, full, partial };
}

describe(`${KILLED} killed with SIGKILL under load, then started again`, () => {
  let child: ChildProcess | undefined;
  let port: number;
  const inProcess: RunningService[] = [];
  let front: RunningService;

  beforeAll(async () => {
    port = await freePort();
    child = await startProcess(port);
    const config = testConfig();
    const databaseUrl = appUrl(adminUrl(), TEST_APP_PASSWORD);
    const others = SUBGRAPH_NAMES.filter((name) => name !== KILLED);
    inProcess.push(...(await Promise.all(others.map((name) => SUBGRAPHS[name].start({ config, databaseUrl, port: 0 })))));
    front = await gateway.start({
      config,
      port: 0,
      subgraphUrls: {
        ...Object.fromEntries(others.map((name, i) => [name, inProcess[i]!.url])),
        [KILLED]: `http://127.0.0.1:${port}/graphql`,
      },
    });
  }, 120_000);

  afterAll(async () => {
    if (child) await kill(child);
    await front?.close();
    await Promise.all(inProcess.map((service) => service.close()));
  });

  it('keeps answering with partial data while it is dead, never 5xx, and answers in full within 5 s of its return', async ({ annotate }) => {
    const headers = { 'content-type': 'application/json', ...(await bearer(['platform_admin'])) };
    const samples: Sample[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        const sentAt = performance.now();
        try {
          const response = await fetch(front.url, { method: 'POST', headers, body: JSON.stringify({ query: QUERY }), signal: AbortSignal.timeout(15_000) });
          samples.push(classify(sentAt, response.status, await response.text()));
        } catch {
          // No answer at all (the gateway gone, or past 15 s): status 0 fails the checks below.
          samples.push({ sentAt, doneAt: performance.now(), status: 0, full: false, partial: false });
        }
      }
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const load = Array.from({ length: CLIENTS }, client);
    try {
      await sleep(1_000);
      expect(samples.filter((sample) => sample.full).length).toBeGreaterThan(0);

      await kill(child!);
      const deadAt = performance.now();
      await sleep(3_000);

      child = await startProcess(port);
      const backAt = performance.now();
      while (performance.now() - backAt < RECOVERY_LIMIT_MS + 2_000 && !samples.some((sample) => sample.sentAt > backAt && sample.full)) await sleep(50);
      // A second more of load after the first full answer: the circuit stays closed.
      await sleep(1_000);
      running = false;
      await Promise.all(load);

      // Never a 5xx (nor no answer) for the whole response, whatever the moment.
      expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
      // Sent while the process was dead: each one partial, and they kept coming (fast, once the circuit opened).
      const whileDead = samples.filter((sample) => sample.sentAt > deadAt && sample.doneAt < backAt);
      expect(whileDead.length).toBeGreaterThan(CLIENTS * 5);
      expect(whileDead.filter((sample) => !sample.partial)).toEqual([]);
      // Back: the first full answer within 5 s of the process serving again.
      const firstFull = samples.find((sample) => sample.sentAt > backAt && sample.full);
      expect(firstFull, 'no full answer after the subgraph came back').toBeDefined();
      expect(firstFull!.doneAt - backAt).toBeLessThan(RECOVERY_LIMIT_MS);
      // And from then on, full answers only.
      const after = samples.filter((sample) => sample.sentAt > firstFull!.doneAt);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((sample) => !sample.full)).toEqual([]);
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
      await annotate(
        `${whileDead.length} partial answers while dead (median ${median(whileDead.map((s) => s.doneAt - s.sentAt)).toFixed(1)} ms); ` +
          `first full answer ${(firstFull!.doneAt - backAt).toFixed(0)} ms after the restart`,
      );
    } finally {
      running = false;
      await Promise.all(load);
    }
    const alive = await fetch(new URL('/healthz', front.url));
    expect(alive.status).toBe(200);
    const ready = await fetch(new URL('/readyz', front.url));
    expect(ready.status).toBe(200);
  });
});
