/**
 * `npx tsx bench/http-front.ts [--rounds 5] [--seconds 5] [--warmup 2] [--connections 16] [--tenants 100]`
 *
 * The gateway's HTTP front, measured both ways on the same gateway: node:http
 * (lib/http/apollo-http.ts, what the gateway runs) against Fastify 5 with
 * `@as-integrations/fastify` (bench/targets/fastify-front.ts), each in a process of its own
 * with authentication, tenant resolution, the field-policy rewrite and the browser policy
 * headers on, over one set of subgraphs, driven by autocannon on 127.0.0.1 — the harness's own
 * processes (bench/processes/). The decision it informed: docs/adr/0003-gateway-http-front.md.
 *
 * Operations, from the one where the front's share of the work is largest to the smallest:
 * `typename` (`{ __typename }` as a platform admin: authenticated and policed, planned and
 * executed with no subgraph fetch), `A-tenant` (the tenant dashboard over four subgraphs) and
 * `A-fleet` (fifty tenants' dashboards: the largest answer). Every round measures each
 * operation on both fronts, the order of the two alternating between rounds, so that drift
 * over the run falls on both alike; figures are medians over rounds with their range. Gateway
 * CPU is read from /proc of the gateway process during the measured seconds only.
 *
 * Starts its own embedded PostgreSQL under .caregraph/ (removed afterwards); the JSON goes to
 * bench/results/. Needs `npm run bench:install` (autocannon) and @as-integrations/fastify (a development dependency of the root: the platform itself serves on node:http, ADR 0003).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { ensureRoles, roleSettings, startEmbeddedPostgres } from '../lib/db/index.js';
import { ROOT } from '../lib/federation/compose.js';
import { migrateAll, seedDemo } from '../scripts/platform.js';
import { caregraphHeaders, type Scope } from './credentials.js';
import { benchEnvironment, benchTenant } from './harness.js';
import { startChild, type ChildHandle } from './processes/child.js';
import type { GatewayStart } from './processes/gateway.js';
import type { LoadFigures, LoadJob } from './processes/load.js';
import { waitUntilIdle, watchProcess } from './processes/proc-stats.js';
import type { SubgraphsReady } from './processes/subgraphs.js';
import { throughputOperations } from './queries.js';
import { checkAnswer, type PreparedRequest } from './scenarios/throughput.js';

const APP_PASSWORD = 'caregraph-app-bench';
const FRONTS = ['node', 'fastify'] as const;
type Front = (typeof FRONTS)[number];

interface Operation {
  id: string;
  query: string;
  variables?: Record<string, unknown>;
  scope: Scope;
}

interface Cell extends LoadFigures {
  round: number;
  operation: string;
  front: Front;
  gatewayCpuMsPerRequest: number | null;
}

interface Summary {
  operation: string;
  front: Front;
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  gatewayCpuMsPerRequest: Spread;
  errors: number;
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '16' },
      tenants: { type: 'string', default: '100' },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  const settings = { seconds: Number(values.seconds), warmup: Number(values.warmup), connections: Number(values.connections), tenants: Number(values.tenants) };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dataDir = path.join(ROOT, '.caregraph', `bench-front-${stamp}`);
  const started = performance.now();
  const log = (line: string) => console.log(`[front ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const loadBefore = os.loadavg();

  log(`starting PostgreSQL in ${path.relative(ROOT, dataDir)}`);
  const database = await startEmbeddedPostgres({ directory: path.join(dataDir, 'postgres') });
  const children: ChildHandle<unknown>[] = [];
  try {
    const env = benchEnvironment({ adminUrl: database.url, appPassword: APP_PASSWORD, dataDir });
    const config = loadConfig(env);
    await ensureRoles(database.url, roleSettings(config));
    await migrateAll(database.url);
    log(`seeding ${settings.tenants} tenants`);
    await seedDemo(database.url, { tenants: settings.tenants });
    const { tenantId } = await benchTenant(database.url);
    const dashboards = throughputOperations(tenantId).filter((operation) => operation.id !== 'A2-deep');
    const operations: Operation[] = [{ id: 'typename', query: '{ __typename }', scope: { access: 'platform' } }, ...dashboards];

    const subgraphs = await startChild<SubgraphsReady>('subgraphs', {}, { env });
    children.push(subgraphs);
    const gateways = {} as Record<Front, ChildHandle<{ url: string }>>;
    for (const front of FRONTS) {
      const start: GatewayStart = { target: 'caregraph', front, subgraphUrls: subgraphs.ready.urls, contexts: {} };
      gateways[front] = await startChild<{ url: string }>('gateway', start, { env });
      children.push(gateways[front]);
    }
    const load = await startChild<{ pid: number }>('load', {}, { env });
    children.push(load);
    log(`gateways up (node:http ${gateways.node.ready.url}, Fastify ${gateways.fastify.ready.url}); ${rounds} rounds of ` +
      `${operations.length} operations × 2 fronts, ${settings.connections} connections, ${settings.warmup} s warm-up, ${settings.seconds} s measured`);

    const requests = new Map<string, PreparedRequest>();
    for (const operation of operations) {
      const headers = await caregraphHeaders(config, operation.scope);
      const body = JSON.stringify({ query: operation.query, variables: operation.variables });
      const answers = new Set<string>();
      for (const front of FRONTS) {
        const request = { url: gateways[front].ready.url, headers, body };
        answers.add(await checkAnswer(request, `${front} / ${operation.id}`));
        requests.set(`${operation.id}/${front}`, request);
      }
      // A faster front cannot be one that answers differently.
      if (answers.size !== 1) throw new Error(`${operation.id}: the two fronts answer differently`);
    }

    const cells: Cell[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const operation of operations) {
        for (const front of round % 2 === 1 ? FRONTS : [...FRONTS].reverse()) {
          const gateway = gateways[front];
          const job: LoadJob = { ...requests.get(`${operation.id}/${front}`)!, connections: settings.connections, warmupSeconds: settings.warmup, durationSeconds: settings.seconds };
          let watcher: ReturnType<typeof watchProcess> | undefined;
          const figures = await load.request<LoadFigures>(job, () => {
            watcher = watchProcess(gateway.pid);
          });
          const cpu = watcher?.stop().cpuSeconds ?? null;
          cells.push({ round, operation: operation.id, front, ...figures, gatewayCpuMsPerRequest: cpu === null || figures.requests === 0 ? null : (cpu * 1000) / figures.requests });
          log(`round ${round} ${operation.id.padEnd(8)} ${front.padEnd(7)} ${figures.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${figures.latencyMs.p50} ms  p99 ${figures.latencyMs.p99} ms`);
          await waitUntilIdle([subgraphs.pid, gateway.pid]);
        }
      }
    }

    const summaries = summarise(cells, operations.map((operation) => operation.id));
    const loadAfter = os.loadavg();
    console.log(`\n${formatTable(summaries, cells)}\n`);
    console.log(`load average (1, 5, 15 min): before ${loadBefore.map((n) => n.toFixed(2)).join(', ')}; after ${loadAfter.map((n) => n.toFixed(2)).join(', ')}`);
    const resultsDir = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `http-front-${stamp}.json`);
    const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version };
    fs.writeFileSync(file, `${JSON.stringify({ startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(), machine, rounds, settings, loadBefore, loadAfter, summaries, cells }, null, 2)}\n`);
    log(`figures written to ${path.relative(ROOT, file)}`);
  } finally {
    for (const child of children.reverse()) await child.stop();
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

function summarise(cells: Cell[], operations: string[]): Summary[] {
  return operations.flatMap((operation) =>
    FRONTS.map((front) => {
      const mine = cells.filter((cell) => cell.operation === operation && cell.front === front);
      return {
        operation,
        front,
        requestsPerSecond: spread(mine.map((cell) => cell.requestsPerSecond)),
        p50Ms: spread(mine.map((cell) => cell.latencyMs.p50)),
        p99Ms: spread(mine.map((cell) => cell.latencyMs.p99)),
        gatewayCpuMsPerRequest: spread(mine.map((cell) => cell.gatewayCpuMsPerRequest ?? NaN)),
        errors: mine.reduce((sum, cell) => sum + cell.errors, 0),
      };
    }),
  );
}

/** Medians with their range, and per operation the Fastify ÷ node:http ratio of each round's pair. */
function formatTable(summaries: Summary[], cells: Cell[]): string {
  const range = (s: Spread, digits: number) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  const lines = [
    '| operation | front | req/s | p50 ms | p99 ms | gateway CPU ms/req | errors |',
    '|---|---|---|---|---|---|---|',
    ...summaries.map((s) =>
      `| ${s.operation} | ${s.front === 'node' ? 'node:http' : 'Fastify'} | ${range(s.requestsPerSecond, 0)} | ${range(s.p50Ms, 0)} | ${range(s.p99Ms, 0)} | ${range(s.gatewayCpuMsPerRequest, 3)} | ${s.errors} |`,
    ),
    '',
    '| operation | Fastify ÷ node:http, req/s (per round) | Fastify ÷ node:http, CPU per request |',
    '|---|---|---|',
  ];
  for (const operation of [...new Set(summaries.map((s) => s.operation))]) {
    const pairs = [...new Set(cells.map((cell) => cell.round))].map((round) => {
      const of = (front: Front) => cells.find((cell) => cell.round === round && cell.operation === operation && cell.front === front)!;
      return { rps: of('fastify').requestsPerSecond / of('node').requestsPerSecond, cpu: (of('fastify').gatewayCpuMsPerRequest ?? NaN) / (of('node').gatewayCpuMsPerRequest ?? NaN) };
    });
    lines.push(`| ${operation} | ${range(spread(pairs.map((p) => p.rps)), 3)} | ${range(spread(pairs.map((p) => p.cpu)), 3)} |`);
  }
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(`[front] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
