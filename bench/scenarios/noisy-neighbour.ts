/**
 * Scenario D, the noisy neighbour (docs/workloads.md): the workload plane gives each tenant a
 * pg-boss group with a per-tier concurrency on each workflow queue, so one tenant's surge cannot
 * hold other tenants' jobs. Measured through the real path: a CareGraph gateway (its own
 * process) over the run's subgraphs, clinical-ops' worker (its own process, production timings)
 * and the simulators (their own process) with the payers answering after `payerLatencyMs`.
 *
 * 1. Baseline: `tenants` pooled tenants of the demo fleet, each as a tenant user of its own,
 *    send eligibility checks and claims at a steady rate (open loop, evenly spaced) for
 *    `phaseSeconds`; then the runs are waited for.
 * 2. Flood, same run: the same, plus one of them (standard tier) sends claims at 20× its rate.
 *
 * For the other tenants: job wait (queued → first attempt, `first_started_at − queued_at` of
 * `clinical_ops.workflow_runs`, read with SQL after each phase) p50/p99, the mutations' API p99,
 * both as flood/baseline ratios; an enhanced-tier tenant's eligibility wait p99; jobs completed
 * per second; and how long the flood's backlog took to drain after its last request.
 *
 * Beside it, two ceilings: raw pg-boss send / fetch+complete throughput on a throwaway queue of
 * the same database, and the claims queue's throughput with the payers at 0 ms.
 */
import { PgBoss } from 'pg-boss';
import pg from 'pg';
import type { Config } from '../../lib/config.js';
import { PGBOSS_SCHEMA } from '../../lib/jobs/boss.js';
import { WORKFLOW_QUEUES } from '../../subgraphs/clinical-ops/workflows/queues.js';
import type { PresignedContexts } from '../contexts.js';
import { tenantUserHeaders } from '../credentials.js';
import type { Mode } from '../modes.js';
import { startChild, type ChildHandle } from '../processes/child.js';
import type { GatewayStart } from '../processes/gateway.js';
import type { SubgraphsReady } from '../processes/subgraphs.js';

/** The flooding tenant sends claims at this multiple of its normal rate. */
export const NOISY_FLOOD_MULTIPLE = 20;
/** Target: the other tenants' job wait p99 and API p99 with the flood, over without. */
export const NOISY_RATIO_LIMIT = 1.5;

const REQUEST_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 120_000;

export interface NoisySettings {
  /** Tenants sending steadily (the flooding one among them). */
  tenants: number;
  phaseSeconds: number;
  /** Per tenant, requests per second of each mutation. */
  eligibilityPerSecond: number;
  claimsPerSecond: number;
  /** The payer simulators' latency during the two phases. */
  payerLatencyMs: number;
  /** Jobs of the raw pg-boss loop. */
  rawJobs: number;
  /** Claims per tenant for the queue's throughput at 0 ms. */
  zeroLatencyClaimsPerTenant: number;
}

export interface NoisyContext {
  mode: Mode;
  config: Config;
  env: NodeJS.ProcessEnv;
  adminUrl: string;
  contexts: PresignedContexts;
  subgraphs: ChildHandle<SubgraphsReady>;
  log(line: string): void;
}

interface Quantiles {
  p50: number | null;
  p99: number | null;
}

export interface NoisyPhase {
  /** Mutations sent by all tenants, and those that failed (HTTP or GraphQL errors, timeouts). */
  requests: number;
  errors: number;
  /** The other tenants' mutations (the flooding tenant's left out). */
  othersApiMs: Quantiles;
  /** The other tenants' runs: queued → first attempt. `notStarted`: runs never started within the drain timeout. */
  othersWaitMs: Quantiles & { runs: number; notStarted: number };
  /** The enhanced-tier tenant's eligibility checks. */
  enhancedEligibilityWaitMs: Quantiles & { runs: number };
  /** Runs (all tenants) finished per second, from the phase's start until its last run finished. */
  jobsPerSecond: number | null;
  /** Runs that ended otherwise than succeeded or rejected (dead-lettered), and runs placed on a dedicated queue. */
  deadLettered: number;
  dedicated: number;
}

export interface NoisyResult {
  settings: NoisySettings & { floodClaimsPerSecond: number; workerSlotsPerQueue: number };
  enhancedTenantTier: string | null;
  baseline: NoisyPhase;
  flood: NoisyPhase & {
    floodTenant: { claims: number; errors: number; waitMs: Quantiles; drainSeconds: number | null };
  };
  ratios: { waitP50: number | null; waitP99: number | null; apiP99: number | null };
  rawPgBoss: { jobs: number; sendPerSecond: number; fetchCompletePerSecond: number };
  claimsAtZeroLatency: { claims: number; jobsPerSecond: number | null; errors: number };
}

interface BenchTenant {
  id: string;
  tier: string;
  patientId: string;
  coverageId: string;
  providerId: string;
  locationId: string;
  headers: Record<string, string>;
}

type Kind = 'eligibility' | 'claim';

interface Sent {
  tenant: BenchTenant;
  kind: Kind;
  ms: number;
  ok: boolean;
  runId: string | null;
}

const CHECK = 'mutation NoisyCheck($input: CheckEligibilityInput!) { checkEligibility(input: $input) { id } }';
const SUBMIT = 'mutation NoisyClaim($input: SubmitClaimInput!) { submitClaim(input: $input) { id } }';

export async function runNoisyNeighbour(context: NoisyContext): Promise<NoisyResult> {
  const settings = context.mode.noisy;
  const log = (line: string) => context.log(line);
  const admin = new pg.Client({ connectionString: context.adminUrl });
  await admin.connect();
  const children: ChildHandle<unknown>[] = [];
  try {
    const tenants = await pickTenants(admin, context.config, settings.tenants);
    const [flooder, ...others] = tenants;
    const enhanced = others.find((tenant) => tenant.tier === 'enhanced') ?? others.find((tenant) => tenant.tier !== 'standard') ?? null;

    log(`noisy    starting the simulators, clinical-ops' worker and a gateway (${tenants.length} tenants, payers at ${settings.payerLatencyMs} ms)`);
    const simulators = await startChild<{ url: string }>('simulators', {}, { env: context.env });
    children.push(simulators);
    const env = { ...context.env, SIMULATORS_URL: simulators.ready.url };
    const payload: GatewayStart = { target: 'caregraph', subgraphUrls: context.subgraphs.ready.urls, contexts: context.contexts };
    const [gateway, worker] = await Promise.all([
      startChild<{ url: string }>('gateway', payload, { env }),
      startChild<{ pid: number }>('clinical-worker', {}, { env }),
    ]);
    children.push(gateway, worker);
    const url = gateway.ready.url;
    const setLatency = (ms: number) => putKnobs(simulators.ready.url, { payer_eligibility: { latencyMs: ms }, payer_claims: { latencyMs: ms } });

    // One request of each kind per tenant: proves the path and warms it, outside any phase.
    await setLatency(0);
    const warm = await Promise.all(tenants.flatMap((tenant) => [send(url, tenant, 'eligibility'), send(url, tenant, 'claim')]));
    const warmFailed = warm.filter((request) => !request.ok).length;
    if (warmFailed > 0) throw new Error(`noisy: ${warmFailed} of ${warm.length} warm-up mutations failed`);
    await waitFinished(admin, warm.map((request) => request.runId!));

    await setLatency(settings.payerLatencyMs);
    log(`noisy    phase 1: ${tenants.length} tenants at ${settings.eligibilityPerSecond} checks/s + ${settings.claimsPerSecond} claims/s each, ${settings.phaseSeconds} s`);
    const baselineRun = await runPhase(url, tenants, settings, null);
    const baseline = await phaseFigures(admin, baselineRun, flooder!, enhanced);

    const floodClaimsPerSecond = settings.claimsPerSecond * NOISY_FLOOD_MULTIPLE;
    log(`noisy    phase 2: the same, and one standard tenant sends claims at ${floodClaimsPerSecond}/s (${NOISY_FLOOD_MULTIPLE}×)`);
    const floodRun = await runPhase(url, tenants, settings, { tenant: flooder!, claimsPerSecond: floodClaimsPerSecond });
    const floodPhase = await phaseFigures(admin, floodRun, flooder!, enhanced);
    const floodSent = floodRun.sent.filter((request) => request.tenant === flooder && request.kind === 'claim');
    const floodRuns = floodRun.sent.filter((request) => request.tenant === flooder && request.runId).map((request) => request.runId!);
    const [floodRow] = (
      await admin.query<{ p50: number | null; p99: number | null; last: Date | null }>(
        `SELECT ${waitQuantiles}, max(finished_at) AS last FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])`,
        [floodRuns],
      )
    ).rows;

    log('noisy    ceilings: raw pg-boss on a throwaway queue, then the claims queue with the payers at 0 ms');
    const rawPgBoss = await rawBossThroughput(context.adminUrl, settings.rawJobs);
    await setLatency(0);
    const claimsAtZeroLatency = await zeroLatencyClaims(admin, url, tenants, settings.zeroLatencyClaimsPerTenant);

    return {
      settings: { ...settings, floodClaimsPerSecond, workerSlotsPerQueue: WORKFLOW_QUEUES.claims.shared.concurrency.perWorker },
      enhancedTenantTier: enhanced?.tier ?? null,
      baseline,
      flood: {
        ...floodPhase,
        floodTenant: {
          claims: floodSent.length,
          errors: floodSent.filter((request) => !request.ok).length,
          waitMs: { p50: floodRow?.p50 ?? null, p99: floodRow?.p99 ?? null },
          drainSeconds: floodRow?.last ? Math.max(0, (floodRow.last.getTime() - floodRun.sendingEnded) / 1000) : null,
        },
      },
      ratios: {
        waitP50: ratio(floodPhase.othersWaitMs.p50, baseline.othersWaitMs.p50),
        waitP99: ratio(floodPhase.othersWaitMs.p99, baseline.othersWaitMs.p99),
        apiP99: ratio(floodPhase.othersApiMs.p99, baseline.othersApiMs.p99),
      },
      rawPgBoss,
      claimsAtZeroLatency,
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    await admin.end();
  }
}

/**
 * Pooled, active tenants below the critical tier (so none has a dedicated queue or a database of
 * its own), each with an active provider, location and an active coverage of a member the
 * simulated payer knows; the first, a standard one, is the flooder; an enhanced one is among
 * the rest when the fleet has one.
 */
async function pickTenants(admin: pg.Client, config: Config, count: number): Promise<BenchTenant[]> {
  const { rows } = await admin.query<Omit<BenchTenant, 'headers'>>(
    `SELECT t.id, t.tier, c.patient_id AS "patientId", c.id AS "coverageId", p.id AS "providerId", l.id AS "locationId"
       FROM tenancy.tenants t
       CROSS JOIN LATERAL (SELECT id, patient_id FROM clinical_ops.insurance_coverages
                            WHERE tenant_id = t.id AND status = 'active' AND member_id !~ '(0000|9999)$' ORDER BY id LIMIT 1) c
       CROSS JOIN LATERAL (SELECT id FROM clinical_ops.providers WHERE tenant_id = t.id AND active ORDER BY id LIMIT 1) p
       CROSS JOIN LATERAL (SELECT id FROM clinical_ops.locations WHERE tenant_id = t.id AND active ORDER BY id LIMIT 1) l
      WHERE t.status = 'active' AND t.placement = 'pooled' AND t.tier IN ('standard', 'enhanced')
      ORDER BY t.slug`,
  );
  const standard = rows.filter((row) => row.tier === 'standard');
  const enhanced = rows.filter((row) => row.tier === 'enhanced');
  if (standard.length < 1 || rows.length < count) throw new Error(`noisy: the fleet has ${rows.length} usable tenants, ${count} needed`);
  const picked = [standard[0]!, ...(enhanced[0] ? [enhanced[0]] : [])];
  for (const row of rows) if (picked.length < count && !picked.includes(row)) picked.push(row);
  return Promise.all(picked.map(async (row, i) => ({ ...row, headers: await tenantUserHeaders(config, row.id, `bench-noisy-${i}`) })));
}

async function send(url: string, tenant: BenchTenant, kind: Kind): Promise<Sent> {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const body =
    kind === 'eligibility'
      ? { query: CHECK, variables: { input: { coverageId: tenant.coverageId, providerId: tenant.providerId } } }
      : {
          query: SUBMIT,
          variables: {
            input: {
              patientId: tenant.patientId,
              coverageId: tenant.coverageId,
              providerId: tenant.providerId,
              locationId: tenant.locationId,
              serviceDate: yesterday,
              diagnosisCodes: ['J06.9'],
              lines: [{ procedureCode: '99213', chargeMinor: 12_500 }],
            },
          },
        };
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...tenant.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const json = (await response.json()) as { data?: Record<string, { id: string } | null>; errors?: unknown[] };
    const ms = performance.now() - started;
    const runId = json.data?.[kind === 'eligibility' ? 'checkEligibility' : 'submitClaim']?.id ?? null;
    return { tenant, kind, ms, ok: response.ok && !json.errors && runId !== null, runId };
  } catch {
    return { tenant, kind, ms: performance.now() - started, ok: false, runId: null };
  }
}

interface PhaseRun {
  sent: Sent[];
  startedAt: number;
  sendingEnded: number;
}

/** Every tenant's requests evenly spaced over the phase (each tenant offset), sent without waiting for answers; then all runs waited for. */
async function runPhase(url: string, tenants: BenchTenant[], settings: NoisySettings, flood: { tenant: BenchTenant; claimsPerSecond: number } | null): Promise<PhaseRun> {
  const schedule: { at: number; tenant: BenchTenant; kind: Kind }[] = [];
  const spread = (tenant: BenchTenant, kind: Kind, perSecond: number, offset: number) => {
    const interval = 1000 / perSecond;
    for (let at = offset * interval; at < settings.phaseSeconds * 1000; at += interval) schedule.push({ at, tenant, kind });
  };
  tenants.forEach((tenant, i) => {
    const offset = i / tenants.length;
    spread(tenant, 'eligibility', settings.eligibilityPerSecond, offset);
    spread(tenant, 'claim', settings.claimsPerSecond, (offset + 0.5) % 1);
  });
  if (flood) spread(flood.tenant, 'claim', flood.claimsPerSecond, 0.25);
  schedule.sort((a, b) => a.at - b.at);
  const startedAt = Date.now();
  const origin = performance.now();
  const pending: Promise<Sent>[] = [];
  for (const item of schedule) {
    const delay = item.at - (performance.now() - origin);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    pending.push(send(url, item.tenant, item.kind));
  }
  const sendingEnded = Date.now();
  return { sent: await Promise.all(pending), startedAt, sendingEnded };
}

const waitQuantiles = `percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_started_at - queued_at) * 1000) AS p50,
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM first_started_at - queued_at) * 1000) AS p99`;

async function waitFinished(admin: pg.Client, runIds: string[]): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { rows } = await admin.query<{ open: number }>(`SELECT count(*)::int AS open FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[]) AND finished_at IS NULL`, [runIds]);
    if (rows[0]!.open === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function phaseFigures(admin: pg.Client, run: PhaseRun, flooder: BenchTenant, enhanced: BenchTenant | null): Promise<NoisyPhase> {
  const runIds = run.sent.flatMap((request) => (request.runId ? [request.runId] : []));
  await waitFinished(admin, runIds);
  const others = run.sent.filter((request) => request.tenant !== flooder);
  const othersRuns = others.flatMap((request) => (request.runId ? [request.runId] : []));
  const enhancedRuns = enhanced ? others.filter((r) => r.tenant === enhanced && r.kind === 'eligibility' && r.runId).map((r) => r.runId!) : [];
  const [wait] = (
    await admin.query<{ p50: number | null; p99: number | null; runs: number; not_started: number }>(
      `SELECT ${waitQuantiles}, count(*)::int AS runs, count(*) FILTER (WHERE first_started_at IS NULL)::int AS not_started
         FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])`,
      [othersRuns],
    )
  ).rows;
  const [enhancedWait] = (
    await admin.query<{ p50: number | null; p99: number | null; runs: number }>(
      `SELECT ${waitQuantiles}, count(*)::int AS runs FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])`,
      [enhancedRuns],
    )
  ).rows;
  const [all] = (
    await admin.query<{ finished: number; last: Date | null; dead: number; dedicated: number }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS finished, max(finished_at) AS last,
              count(*) FILTER (WHERE status = 'dead_lettered')::int AS dead, count(*) FILTER (WHERE dedicated)::int AS dedicated
         FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])`,
      [runIds],
    )
  ).rows;
  const span = all?.last ? (all.last.getTime() - run.startedAt) / 1000 : 0;
  return {
    requests: run.sent.length,
    errors: run.sent.filter((request) => !request.ok).length,
    othersApiMs: quantiles(others.filter((request) => request.ok).map((request) => request.ms)),
    othersWaitMs: { p50: wait?.p50 ?? null, p99: wait?.p99 ?? null, runs: wait?.runs ?? 0, notStarted: wait?.not_started ?? 0 },
    enhancedEligibilityWaitMs: { p50: enhancedWait?.p50 ?? null, p99: enhancedWait?.p99 ?? null, runs: enhancedWait?.runs ?? 0 },
    jobsPerSecond: span > 0 ? all!.finished / span : null,
    deadLettered: all?.dead ?? 0,
    dedicated: all?.dedicated ?? 0,
  };
}

/**
 * pg-boss on its own, in the platform's pg-boss schema of the same database, on a queue created
 * for the loop and deleted after it: `jobs` sends (8 at a time), then 8 loops each fetching one
 * job and completing it until none is left — the claims workers' way (batch size 1, 8 slots).
 */
async function rawBossThroughput(adminUrl: string, jobs: number): Promise<NoisyResult['rawPgBoss']> {
  const boss = new PgBoss({ connectionString: adminUrl, schema: PGBOSS_SCHEMA, max: 10, migrate: false, createSchema: false, schedule: false, supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  const queue = `bench.noisy-raw-${process.pid}-${Date.now().toString(36)}`;
  try {
    await boss.createQueue(queue);
    const lanes = 8;
    let next = 0;
    const sendStarted = performance.now();
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < jobs) {
          next += 1;
          await boss.send(queue, { n: next });
        }
      }),
    );
    const sendSeconds = (performance.now() - sendStarted) / 1000;
    let completed = 0;
    const workStarted = performance.now();
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (;;) {
          const [job] = await boss.fetch(queue);
          if (!job) return;
          await boss.complete(queue, job.id);
          completed += 1;
        }
      }),
    );
    const workSeconds = (performance.now() - workStarted) / 1000;
    return { jobs, sendPerSecond: jobs / sendSeconds, fetchCompletePerSecond: completed / workSeconds };
  } finally {
    await boss.deleteQueue(queue).catch(() => undefined);
    await boss.stop({ graceful: false, close: true });
  }
}

/** `perTenant` claims from every tenant at once (8 in flight), then the runs waited for: finished per second from the first attempt to the last finish. */
async function zeroLatencyClaims(admin: pg.Client, url: string, tenants: BenchTenant[], perTenant: number): Promise<NoisyResult['claimsAtZeroLatency']> {
  const queue = tenants.flatMap((tenant) => Array.from({ length: perTenant }, () => tenant));
  const sent: Sent[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let tenant = queue.shift(); tenant; tenant = queue.shift()) sent.push(await send(url, tenant, 'claim'));
    }),
  );
  const runIds = sent.flatMap((request) => (request.runId ? [request.runId] : []));
  await waitFinished(admin, runIds);
  const [row] = (
    await admin.query<{ finished: number; seconds: number | null }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL)::int AS finished, extract(epoch FROM max(finished_at) - min(first_started_at))::float8 AS seconds
         FROM clinical_ops.workflow_runs WHERE id = ANY($1::uuid[])`,
      [runIds],
    )
  ).rows;
  return {
    claims: runIds.length,
    jobsPerSecond: row?.seconds ? row.finished / row.seconds : null,
    errors: sent.filter((request) => !request.ok).length,
  };
}

async function putKnobs(simulatorsUrl: string, knobs: Record<string, Record<string, number>>): Promise<void> {
  const response = await fetch(`${simulatorsUrl}/admin/knobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(knobs) });
  if (!response.ok) throw new Error(`noisy: the simulators refused the knobs (${response.status})`);
}

function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { p50: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b <= 0 ? null : a / b);
