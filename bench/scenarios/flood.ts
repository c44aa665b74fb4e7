/**
 * The flood scenario: one partner API key floods at 10× its plan's rate while other tenants'
 * users run the tenant dashboard. It reports the dashboard's p50/p99 with the flood against
 * the same run without it, the share of the flood refused, and the limiter's cost per request
 * in gateway CPU.
 *
 * - One CareGraph gateway with RATE_LIMITS=on, counting in the shared PostgreSQL store
 *   (gateway.rate_limit_counters, as caregraph_gateway: the role URL the gateway derives from
 *   DATABASE_URL), and a second one with RATE_LIMITS=off; both over the subgraphs of A.
 * - The dashboard: scenario A's tenant dashboard, sent in turn by `usersPerTenant` users of
 *   each of `dashboardTenants` premium and enterprise tenants (their plans carry the dashboard's
 *   features, and their user and tenant limits are far above what one user or tenant gets here).
 * - The flood: a key issued to the partner of one standard-plan tenant (300 requests a minute
 *   per key), acting on that tenant, sent at 10× that rate by its own process in an open loop;
 *   measured once the key's budget is spent and its window has turned (the steady state).
 * - Runs, all on the same gateways, in this order: two discarded warm-ups of both (the second
 *   gives the rate they reach together); (3) the limiter's cost: both gateways loaded at once,
 *   each at the same fixed rate on half the connections, so that the machine's other work and
 *   any drift fall on both alike and both have the same history; gateway CPU per request on
 *   minus off, `costRounds` times, pooled; then (1) the dashboard alone, limits on; (2) the
 *   same with the flood; (1′) alone again, so that (2) is compared with the runs on either
 *   side of it and drift cancels.
 */
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../lib/config.js';
import type { PresignedContexts } from '../contexts.js';
import { apiKeyHeaders, caregraphHeaders, tenantUserHeaders } from '../credentials.js';
import type { Mode } from '../modes.js';
import { startChild, type ChildHandle } from '../processes/child.js';
import type { FloodEvent, FloodFigures, FloodJob } from '../processes/flood.js';
import type { GatewayStart } from '../processes/gateway.js';
import type { LoadFigures, LoadJob, LoadVariant, ParallelLoadJob } from '../processes/load.js';
import { waitUntilIdle, watchOtherWork, watchProcess, type ProcessWindow } from '../processes/proc-stats.js';
import type { SubgraphsReady } from '../processes/subgraphs.js';
import { PARTNER_USAGE_QUERY, TENANT_DASHBOARD_QUERY } from '../queries.js';
import { checkAnswer } from './throughput.js';

/** How far above its plan's rate the key floods. */
export const FLOOD_MULTIPLE = 10;
/** The dashboard's p50 and p99 with the flood may be at most this many times those without. */
export const FLOOD_LATENCY_LIMIT = 1.2;
/** Gateway CPU the limiter may add per request, in ms. */
export const LIMITER_COST_LIMIT_MS = 0.3;
/**
 * The limiter's cost is measured with both gateways at this share of the rate they reached
 * together as fast as they could: the same load for each, near the saturation at which scenario
 * A measures gateway CPU (a gateway's CPU per request grows as its load falls, the limiter's
 * with it: fewer concurrent hits fold into one upsert).
 */
const COST_LOAD_SHARE = 0.9;
/** The API key scopes the flood's query needs (a partner key never has more than its partner allows). */
const FLOOD_KEY_SCOPES = ['tenant:read', 'billing:read', 'telemetry:read'];

export interface FloodContext {
  mode: Mode;
  config: Config;
  env: NodeJS.ProcessEnv;
  adminUrl: string;
  contexts: PresignedContexts;
  subgraphs: ChildHandle<SubgraphsReady>;
  load: ChildHandle<{ pid: number }>;
  profileDirectory?: string;
  log(line: string): void;
}

/** One measured dashboard run. */
export interface DashboardRun extends LoadFigures {
  gatewayCpuMsPerRequest: number | null;
  gatewayPeakRssMb: number | null;
  /** The window's raw figures, for pooling. */
  gatewayCpuSeconds: number | null;
  /** Cores, on average, the machine spent on work outside the benchmark during the run (other work sharing it). */
  otherWorkCores: number | null;
}

export interface FloodResult {
  windowSeconds: number;
  floodTenant: { id: string; plan: string; partnerId: string };
  /** The flood tenant's plan limit per key, per minute, and the rate sent (FLOOD_MULTIPLE × it). */
  keyLimitPerMinute: number;
  floodRatePerSecond: number;
  dashboard: {
    connections: number;
    tenants: number;
    users: number;
    plans: Record<string, number>;
    /** The lowest user and tenant limits among the dashboard tenants' plans, per second. */
    userLimitPerSecond: number;
    tenantLimitPerSecond: number;
    /** The highest rate one user and one tenant got in any run (requests spread evenly over them). */
    peakUserPerSecond: number;
    peakTenantPerSecond: number;
    /** 429s the dashboard users got over every run: must be 0. */
    rateLimited: number;
  };
  /** (1) dashboard alone, limits on; (2) the same with the flood; (1′) alone again. */
  alone: DashboardRun;
  withFlood: DashboardRun;
  aloneAfter: DashboardRun;
  /** The flood's measured run (during (2)). */
  flood: FloodFigures;
  /** (2) ÷ the mean of (1) and (1′). */
  latencyRatio: { p50: number | null; p99: number | null };
  /** Share of the measured flood answered 429 RATE_LIMITED; expected 1 − 1/FLOOD_MULTIPLE. */
  refusedShare: number | null;
  expectedRefusedShare: number;
  /** Errors that are not rate-limit refusals, flood and dashboard together: must be 0. */
  nonRateLimitErrors: number;
  /** (3): each round's two gateways loaded at once, their pooled gateway CPU per request, and the difference. */
  limiter: {
    /** Requests per second each gateway was sent in the cost rounds. */
    ratePerSecond: number;
    rounds: { on: DashboardRun; off: DashboardRun }[];
    onCpuMsPerRequest: number | null;
    offCpuMsPerRequest: number | null;
    costMsPerRequest: number | null;
  };
  /** How the limiting gateway counted after the flood (its /readyz): `shared` means through PostgreSQL. */
  limiterMode: string;
  /** The flood key's rows in gateway.rate_limit_counters after the flood, and their hits. */
  sharedCounters: { rows: number; hits: number };
}

interface DashboardTenant {
  id: string;
  plan: string;
  userPerMinute: number;
  tenantPerMinute: number;
}

export async function runFlood(context: FloodContext): Promise<FloodResult> {
  const { mode } = context;
  const log = (line: string) => context.log(line);
  const settings = mode.flood;
  const setup = await chooseTenants(context.adminUrl, settings.dashboardTenants);
  const keyLimitPerMinute = setup.flood.keyPerMinute;
  const floodRatePerSecond = (FLOOD_MULTIPLE * keyLimitPerMinute) / 60;

  const start = (limits: 'on' | 'off') => {
    const payload: GatewayStart = { target: 'caregraph', subgraphUrls: context.subgraphs.ready.urls, contexts: context.contexts };
    return startChild<{ url: string }>('gateway', payload, {
      env: { ...context.env, RATE_LIMITS: limits, RATE_LIMIT_WINDOW_SECONDS: String(settings.windowSeconds) },
      cpuProfileDirectory: context.profileDirectory ? path.join(context.profileDirectory, `caregraph-limits-${limits}`) : undefined,
    });
  };
  const started = await Promise.allSettled([start('on'), start('off'), startChild<{ pid: number }>('flood', {}, { env: context.env })]);
  const [onStarted, offStarted, floodStarted] = started;
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  let issuedKey: { id: string; secret: string } | undefined;
  let keyIssuer: string | undefined;
  try {
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    const limiting = valueOf(onStarted);
    keyIssuer = limiting.ready.url;
    const unlimited = valueOf(offStarted);
    const flooder = valueOf(floodStarted);

    issuedKey = await issueKey(context.config, limiting.ready.url, setup.flood.partnerId);
    const floodRequest = {
      url: limiting.ready.url,
      headers: apiKeyHeaders(issuedKey.secret, setup.flood.id),
      body: JSON.stringify({ query: PARTNER_USAGE_QUERY, variables: { tenantId: setup.flood.id } }),
    };
    await checkAnswer(floodRequest, 'flood: the partner key');

    // One user per (tenant, n); consecutive requests go to different tenants.
    const variants: LoadVariant[] = [];
    for (let n = 1; n <= settings.usersPerTenant; n++) {
      for (const tenant of setup.dashboard) {
        variants.push({
          headers: await tenantUserHeaders(context.config, tenant.id, `bench-flood-user-${n}-of-${tenant.id}`),
          body: JSON.stringify({ query: TENANT_DASHBOARD_QUERY, variables: { id: tenant.id } }),
        });
      }
    }
    // Every caller answers correctly before any load; this also makes each token known to the gateway.
    for (const variant of variants) await checkAnswer({ url: limiting.ready.url, ...variant }, 'flood: a dashboard user');
    await checkAnswer({ url: unlimited.ready.url, ...variants[0]! }, 'flood: a dashboard user, limits off');

    const dashboardJob = (url: string, connections = mode.connections, rate?: number): LoadJob => ({
      url,
      headers: {},
      body: variants[0]!.body,
      variants,
      connections,
      warmupSeconds: mode.warmupSeconds,
      durationSeconds: mode.durationSeconds,
      amount: mode.requestsPerCell,
      rate,
    });
    const idle = () => waitUntilIdle([context.subgraphs.pid, limiting.pid, unlimited.pid]);
    const alone = () => measure(context, [{ pid: limiting.pid, job: dashboardJob(limiting.ready.url) }]).then(([run]) => run!);
    const half = Math.max(1, Math.floor(mode.connections / 2));
    const both = (rate?: number) =>
      measure(context, [
        { pid: limiting.pid, job: dashboardJob(limiting.ready.url, half, rate) },
        { pid: unlimited.pid, job: dashboardJob(unlimited.ready.url, half, rate) },
      ]).then(([on, off]) => ({ on: on!, off: off! }));

    // Both gateways share one history (a warm-up, then the cost rounds), so that neither is
    // warmer, or has a larger heap, when their CPU is compared; in the cost rounds both get the
    // same fixed rate, a share of what the two managed together as fast as they could, so that
    // each serves as many requests as the other whatever the limiter adds to latency.
    log(`flood    warming up both gateways: ${variants.length} users of ${setup.dashboard.length} tenants`);
    await both();
    await idle();
    // A second pass, warm this time, gives the rate the two reach together.
    const warm = await both();
    await idle();
    const costRate = Math.max(1, Math.round((COST_LOAD_SHARE * (warm.on.requestsPerSecond + warm.off.requestsPerSecond)) / 2));
    const rounds: { on: DashboardRun; off: DashboardRun }[] = [];
    for (let round = 1; round <= settings.costRounds; round++) {
      log(`flood    limiter cost, round ${round}/${settings.costRounds}: both gateways at once, ${costRate} req/s each on ${half} connections`);
      rounds.push(await both(costRate));
      await idle();
    }

    log(`flood    (1) dashboard alone, limits on (${settings.windowSeconds} s window)`);
    const before = await alone();
    await idle();
    // The flood runs from its lead-in to past the dashboard's end: its budget spent and its
    // window turned (so that it sends at its steady state) before the dashboard starts.
    const leadInSeconds = 1.2 * settings.windowSeconds + 0.5;
    const floodSeconds = mode.requestsPerCell ? (settings.countedFloodSeconds ?? 2) : mode.warmupSeconds + mode.durationSeconds + 1;
    log(`flood    (2) the same with a partner key at ${floodRatePerSecond.toFixed(0)} req/s (${FLOOD_MULTIPLE}× ${keyLimitPerMinute}/min), ${leadInSeconds.toFixed(1)} s lead-in`);
    const floodJob: FloodJob = { ...floodRequest, ratePerSecond: floodRatePerSecond, leadInSeconds, durationSeconds: floodSeconds };
    let leadInOver: () => void = () => undefined;
    const measuring = new Promise<void>((resolve) => (leadInOver = resolve));
    const flooding = flooder.request<FloodFigures>(floodJob, (event) => (event as FloodEvent).phase === 'measure' && leadInOver());
    // Settled at once so that a failure while waiting cannot leave it unobserved.
    flooding.catch(() => undefined);
    await Promise.race([measuring, flooding]);
    const withFlood = await alone();
    const flood = await flooding;
    if (flood.failureSamples.length) log(`flood    flood failures: ${flood.failureSamples.join(' | ')}`);
    const limiterMode = await readinessMode(limiting.ready.url);
    const sharedCounters = await counterRows(context.adminUrl, issuedKey.id, setup.flood.id);
    await idle();
    log('flood    (1′) dashboard alone again');
    const after = await alone();

    const dashboardRuns = [before, withFlood, after, ...rounds.flatMap((round) => [round.on, round.off])];
    const peak = Math.max(...[before, withFlood, after].map((run) => run.requestsPerSecond), ...rounds.map((round) => round.on.requestsPerSecond));
    const onCpu = pooledCpuMs(rounds.map((round) => round.on));
    const offCpu = pooledCpuMs(rounds.map((round) => round.off));
    const plans: Record<string, number> = {};
    for (const tenant of setup.dashboard) plans[tenant.plan] = (plans[tenant.plan] ?? 0) + 1;
    const mean = (a: number, b: number) => (a + b) / 2;
    return {
      windowSeconds: settings.windowSeconds,
      floodTenant: { id: setup.flood.id, plan: setup.flood.plan, partnerId: setup.flood.partnerId },
      keyLimitPerMinute,
      floodRatePerSecond,
      dashboard: {
        connections: mode.connections,
        tenants: setup.dashboard.length,
        users: variants.length,
        plans,
        userLimitPerSecond: Math.min(...setup.dashboard.map((tenant) => tenant.userPerMinute)) / 60,
        tenantLimitPerSecond: Math.min(...setup.dashboard.map((tenant) => tenant.tenantPerMinute)) / 60,
        peakUserPerSecond: peak / variants.length,
        peakTenantPerSecond: peak / setup.dashboard.length,
        rateLimited: dashboardRuns.reduce((sum, run) => sum + run.rateLimited, 0),
      },
      alone: before,
      withFlood,
      aloneAfter: after,
      flood,
      latencyRatio: {
        p50: ratio(withFlood.latencyMs.p50, mean(before.latencyMs.p50, after.latencyMs.p50)),
        p99: ratio(withFlood.latencyMs.p99, mean(before.latencyMs.p99, after.latencyMs.p99)),
      },
      refusedShare: flood.sent === 0 ? null : flood.rateLimited / flood.sent,
      expectedRefusedShare: 1 - 1 / FLOOD_MULTIPLE,
      nonRateLimitErrors: flood.failed + dashboardRuns.reduce((sum, run) => sum + (run.errors - run.rateLimited), 0),
      limiter: {
        ratePerSecond: costRate,
        rounds,
        onCpuMsPerRequest: onCpu,
        offCpuMsPerRequest: offCpu,
        costMsPerRequest: onCpu === null || offCpu === null ? null : onCpu - offCpu,
      },
      limiterMode,
      sharedCounters,
    };
  } finally {
    if (issuedKey && keyIssuer) await revokeKey(context.config, keyIssuer, issuedKey.id).catch(() => undefined);
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** The dashboard's tenants and the flood's, with their plans' per-minute limits, read as the admin. */
async function chooseTenants(
  adminUrl: string,
  count: number,
): Promise<{ dashboard: DashboardTenant[]; flood: { id: string; plan: string; partnerId: string; keyPerMinute: number } }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const limit = (key: string) => `coalesce((p.limits ->> '${key}')::int, 0)`;
    const dashboard = await client.query<DashboardTenant>(
      `SELECT t.id, s.plan_code AS plan,
              ${limit('user_requests_per_minute')} AS "userPerMinute", ${limit('api_requests_per_minute')} AS "tenantPerMinute"
         FROM tenancy.tenants t
         JOIN erp.subscriptions s ON s.tenant_id = t.id
         JOIN erp.plans p ON p.code = s.plan_code
        WHERE t.status = 'active' AND s.status = 'active' AND s.plan_code IN ('premium', 'enterprise')
        ORDER BY t.slug
        LIMIT $1`,
      [count],
    );
    const flood = await client.query<{ id: string; plan: string; partnerId: string; keyPerMinute: number }>(
      `SELECT t.id, s.plan_code AS plan, t.partner_id AS "partnerId", ${limit('api_key_requests_per_minute')} AS "keyPerMinute"
         FROM tenancy.tenants t
         JOIN tenancy.partners pa ON pa.id = t.partner_id
         JOIN erp.subscriptions s ON s.tenant_id = t.id
         JOIN erp.plans p ON p.code = s.plan_code
        WHERE t.status = 'active' AND s.status = 'active' AND s.plan_code = 'standard' AND pa.allowed_scopes @> $1::text[]
        ORDER BY t.slug
        LIMIT 1`,
      [FLOOD_KEY_SCOPES],
    );
    const floodTenant = flood.rows[0];
    if (dashboard.rows.length === 0 || !floodTenant) throw new Error('the flood scenario needs active premium or enterprise tenants and a standard-plan tenant with a partner (seed the demo fleet)');
    if (!(floodTenant.keyPerMinute > 0)) throw new Error('the standard plan sets no api_key_requests_per_minute');
    return { dashboard: dashboard.rows, flood: floodTenant };
  } finally {
    await client.end();
  }
}

/** Issues the flood's key as a platform admin, through the gateway (`issueApiKey`), as test/isolation does. */
async function issueKey(config: Config, gatewayUrl: string, partnerId: string): Promise<{ id: string; secret: string }> {
  const body = await adminMutation<{ issueApiKey: { apiKey: { id: string }; secret: string } }>(
    config,
    gatewayUrl,
    'mutation Issue($input: IssueApiKeyInput!) { issueApiKey(input: $input) { apiKey { id } secret } }',
    { input: { partnerId, name: 'bench-flood', scopes: FLOOD_KEY_SCOPES, expiresInDays: 1 } },
  );
  return { id: body.issueApiKey.apiKey.id, secret: body.issueApiKey.secret };
}

async function revokeKey(config: Config, gatewayUrl: string, id: string): Promise<void> {
  await adminMutation(config, gatewayUrl, 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id } }', { id });
}

async function adminMutation<T>(config: Config, gatewayUrl: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await caregraphHeaders(config, { access: 'platform' })) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: T; errors?: unknown[] };
  if (!response.ok || body.errors?.length || !body.data) throw new Error(`flood: ${query.split('(')[0]}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return body.data;
}

/**
 * Measured dashboard runs (after their warm-up), one per gateway, side by side when more than
 * one, with each gateway's CPU and memory over the measured part.
 */
async function measure(context: FloodContext, targets: { pid: number; job: LoadJob }[]): Promise<DashboardRun[]> {
  let watchers: ReturnType<typeof watchProcess>[] | undefined;
  let others: ReturnType<typeof watchOtherWork> | undefined;
  const payload: LoadJob | ParallelLoadJob = targets.length === 1 ? targets[0]!.job : { parallel: targets.map((target) => target.job) };
  const answer = await context.load.request<LoadFigures | LoadFigures[]>(payload, () => {
    watchers = targets.map((target) => watchProcess(target.pid));
    others = watchOtherWork();
  });
  if (!watchers) throw new Error('the load generator never started its measured run');
  const windows: ProcessWindow[] = watchers.map((watcher) => watcher.stop());
  const otherWorkCores = others?.stop() ?? null;
  const loads = Array.isArray(answer) ? answer : [answer];
  return loads.map((load, i) => {
    const window = windows[i]!;
    return {
      ...load,
      gatewayCpuSeconds: window.cpuSeconds,
      gatewayCpuMsPerRequest: window.cpuSeconds === null || load.requests === 0 ? null : (window.cpuSeconds * 1000) / load.requests,
      gatewayPeakRssMb: window.peakRss === null ? null : window.peakRss / (1024 * 1024),
      otherWorkCores,
    };
  });
}

/** CPU ms per request over several runs together (total CPU ÷ total requests). */
function pooledCpuMs(runs: DashboardRun[]): number | null {
  if (runs.some((run) => run.gatewayCpuSeconds === null)) return null;
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  return requests === 0 ? null : (runs.reduce((sum, run) => sum + run.gatewayCpuSeconds!, 0) * 1000) / requests;
}

/** The limiter's mode as the gateway's /readyz reports it. */
async function readinessMode(gatewayUrl: string): Promise<string> {
  const response = await fetch(new URL('/readyz', gatewayUrl));
  const body = (await response.json().catch(() => ({}))) as { rateLimits?: string };
  return body.rateLimits ?? 'unknown';
}

/** The flood key's buckets in the shared store: proof that the gateway counted there. */
async function counterRows(adminUrl: string, keyId: string, tenantId: string): Promise<{ rows: number; hits: number }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rows: number; hits: number }>(
      `SELECT count(*)::int AS rows, coalesce(sum(hits), 0)::int AS hits FROM gateway.rate_limit_counters WHERE bucket LIKE $1`,
      [`key:%${keyId}@${tenantId}`],
    );
    return rows[0] ?? { rows: 0, hits: 0 };
  } finally {
    await client.end();
  }
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
/** The value of a start known to have succeeded. */
const valueOf = <T>(result: PromiseSettledResult<T>): T => (result as PromiseFulfilledResult<T>).value;
