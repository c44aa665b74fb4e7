/**
 * Scenarios A and A2: the same operations through each target in turn, under the same load.
 * Each gateway runs in a process of its own; the subgraphs and the load generator are shared
 * by all of them. Before loading a target, one request checks that it answers correctly and
 * the same as CareGraph, so a faster target cannot be one that skips work.
 */
import path from 'node:path';
import type { Config } from '../../lib/config.js';
import { presignedHeaders, type PresignedContexts } from '../contexts.js';
import { baselineHeaders, caregraphHeaders, scopeKey } from '../credentials.js';
import type { Mode } from '../modes.js';
import { startChild, type ChildHandle } from '../processes/child.js';
import type { GatewayStart, GatewayTarget } from '../processes/gateway.js';
import type { LoadFigures, LoadJob } from '../processes/load.js';
import { waitUntilIdle, watchProcess, type ProcessWindow } from '../processes/proc-stats.js';
import type { SubgraphsReady } from '../processes/subgraphs.js';
import type { ThroughputOperation } from '../queries.js';

export type TargetName = GatewayTarget | 'subgraph';

export const TARGET_LABELS: Record<TargetName, string> = {
  caregraph: 'CareGraph gateway',
  apollo: 'bare @apollo/gateway',
  hive: 'Hive Gateway',
  subgraph: 'tenancy subgraph (direct)',
};

export interface ThroughputRow extends LoadFigures {
  operation: ThroughputOperation['id'];
  target: TargetName;
  /** Peak resident memory of the gateway process while under load (null for the direct subgraph). */
  gatewayPeakRssMb: number | null;
  /** CPU time of the gateway process per request (null for the direct subgraph). */
  gatewayCpuMsPerRequest: number | null;
  /** CPU time of the subgraphs process per request: equal across gateways when they do the same work. */
  subgraphsCpuMsPerRequest: number | null;
  /** Whether the answer matched CareGraph's (health figures aside, which move with the clock). */
  sameAnswerAsCareGraph: boolean | null;
}

export interface ThroughputContext {
  mode: Mode;
  /** The platform's configuration (the CareGraph caller's token comes from its issuer). */
  config: Config;
  env: NodeJS.ProcessEnv;
  operations: ThroughputOperation[];
  contexts: PresignedContexts;
  subgraphs: ChildHandle<SubgraphsReady>;
  load: ChildHandle<{ pid: number }>;
  /** Folder for V8 CPU profiles of the gateway processes, when profiling. */
  profileDirectory?: string;
  log(line: string): void;
}

const TARGETS: TargetName[] = ['caregraph', 'apollo', 'hive', 'subgraph'];

export async function runThroughput(context: ThroughputContext): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const reference = new Map<string, string>();
  // All gateways are up for the whole scenario and the cells run operation by operation, so
  // that drift over the run (caches, the database's state) falls on every target alike.
  const gatewayTargets = TARGETS.filter((target): target is GatewayTarget => target !== 'subgraph');
  const started = await Promise.allSettled(gatewayTargets.map((target) => startGateway(target, context)));
  const gateways = new Map<TargetName, ChildHandle<{ url: string }>>();
  started.forEach((result, i) => result.status === 'fulfilled' && gateways.set(gatewayTargets[i]!, result.value));
  try {
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const operation of context.operations) {
      for (const target of TARGETS) {
        const gateway = gateways.get(target);
        const request = await requestFor(target, operation, gateway?.ready.url, context);
        const fingerprint = await checkAnswer(request, `${TARGET_LABELS[target]} / ${operation.id}`);
        if (target === 'caregraph') reference.set(operation.id, fingerprint);
        context.log(`${operation.id.padEnd(8)} ${TARGET_LABELS[target]}`);
        const figures = await measure(request, gateway?.pid, context);
        rows.push({
          operation: operation.id,
          target,
          ...figures.load,
          gatewayPeakRssMb: gateway ? mb(figures.gateway?.peakRss ?? null) : null,
          gatewayCpuMsPerRequest: gateway ? perRequestMs(figures.gateway?.cpuSeconds ?? null, figures.load.requests) : null,
          subgraphsCpuMsPerRequest: perRequestMs(figures.subgraphs.cpuSeconds, figures.load.requests),
          sameAnswerAsCareGraph: target === 'subgraph' ? null : reference.get(operation.id) === fingerprint,
        });
        // Requests still queued when the measured run ended must not spill into the next cell.
        await waitUntilIdle([context.subgraphs.pid, ...(gateway ? [gateway.pid] : [])]);
      }
    }
  } finally {
    await Promise.all([...gateways.values()].map((gateway) => gateway.stop()));
  }
  return rows;
}

async function startGateway(target: GatewayTarget, context: ThroughputContext): Promise<ChildHandle<{ url: string }>> {
  const start: GatewayStart = { target, subgraphUrls: context.subgraphs.ready.urls, contexts: context.contexts };
  return startChild<{ url: string }>('gateway', start, {
    env: context.env,
    cpuProfileDirectory: context.profileDirectory ? path.join(context.profileDirectory, target) : undefined,
  });
}

export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

async function requestFor(
  target: TargetName,
  operation: ThroughputOperation,
  gatewayUrl: string | undefined,
  context: ThroughputContext,
): Promise<PreparedRequest> {
  if (target === 'subgraph') {
    return {
      url: context.subgraphs.ready.urls.tenancy,
      headers: presignedHeaders(context.contexts, scopeKey(operation.scope), 'tenancy'),
      body: JSON.stringify({ query: operation.floor.query, variables: operation.floor.variables }),
    };
  }
  const headers = target === 'caregraph' ? await caregraphHeaders(context.config, operation.scope) : baselineHeaders(operation.scope);
  return { url: gatewayUrl!, headers, body: JSON.stringify({ query: operation.query, variables: operation.variables }) };
}

/** Sends the request once; fails the run on a wrong answer; returns the answer's fingerprint. */
export async function checkAnswer(request: PreparedRequest, label: string): Promise<string> {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
  });
  const text = await response.text();
  let body: { data?: unknown; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${label}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`${label}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.stringify(body.data, (key, value: unknown) => (key === 'health' || key === 'day' || key === 'hour' ? undefined : value));
}

async function measure(
  request: PreparedRequest,
  gatewayPid: number | undefined,
  context: ThroughputContext,
): Promise<{ load: LoadFigures; gateway?: ProcessWindow; subgraphs: ProcessWindow }> {
  const job: LoadJob = {
    ...request,
    connections: context.mode.connections,
    warmupSeconds: context.mode.warmupSeconds,
    durationSeconds: context.mode.durationSeconds,
    amount: context.mode.requestsPerCell,
  };
  let watchers: { gateway?: ReturnType<typeof watchProcess>; subgraphs: ReturnType<typeof watchProcess> } | undefined;
  const load = await context.load.request<LoadFigures>(job, () => {
    // The warm-up is over: measure the processes over the measured run only.
    watchers = { gateway: gatewayPid ? watchProcess(gatewayPid) : undefined, subgraphs: watchProcess(context.subgraphs.pid) };
  });
  if (!watchers) throw new Error('the load generator never started its measured run');
  return { load, gateway: watchers.gateway?.stop(), subgraphs: watchers.subgraphs.stop() };
}

const mb = (bytes: number | null) => (bytes === null ? null : bytes / (1024 * 1024));
const perRequestMs = (cpuSeconds: number | null, requests: number) =>
  cpuSeconds === null || requests === 0 ? null : (cpuSeconds * 1000) / requests;
