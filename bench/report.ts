/** Ratios against the baselines, the issue's targets, and the one table the run prints. */
import type { BenchReport } from './harness.js';
import { FLOOD_LATENCY_LIMIT, LIMITER_COST_LIMIT_MS, type DashboardRun, type FloodResult } from './scenarios/flood.js';
import { NOISY_RATIO_LIMIT, type NoisyPhase, type NoisyResult } from './scenarios/noisy-neighbour.js';
import type { StartupResult } from './scenarios/startup.js';
import { TARGET_LABELS, type ThroughputRow } from './scenarios/throughput.js';

export interface Ratio {
  operation: ThroughputRow['operation'];
  /** CareGraph requests/s ÷ bare @apollo/gateway requests/s (target: ≥ 0.95). */
  caregraphOverBare: number | null;
  /** CareGraph requests/s ÷ Hive Gateway requests/s (target: ≥ 1). */
  caregraphOverHive: number | null;
  /** CareGraph p99 ÷ Hive Gateway p99 (target: < 1). */
  p99CaregraphOverHive: number | null;
}

/** Gateway RSS under load must stay below this. */
export const RSS_LIMIT_MB = 300;
/** `npm start` on an existing data folder must be ready within this. */
export const START_LIMIT_SECONDS = 4;
/** Each service process, ready and idle, must stay within this. */
export const IDLE_RSS_LIMIT_MB = 110;

export function ratiosOf(rows: ThroughputRow[]): Ratio[] {
  const operations = [...new Set(rows.map((row) => row.operation))];
  const find = (operation: string, target: string) => rows.find((row) => row.operation === operation && row.target === target);
  const divide = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? null : a / b);
  return operations.map((operation) => {
    const caregraph = find(operation, 'caregraph');
    const bare = find(operation, 'apollo');
    const hive = find(operation, 'hive');
    return {
      operation,
      caregraphOverBare: divide(caregraph?.requestsPerSecond, bare?.requestsPerSecond),
      caregraphOverHive: divide(caregraph?.requestsPerSecond, hive?.requestsPerSecond),
      p99CaregraphOverHive: divide(caregraph?.latencyMs.p99, hive?.latencyMs.p99),
    };
  });
}

const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'MISSED');

/** The issue's targets, each met or missed, as lines of text. */
export function targetLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const ratio of report.ratios) {
    const bare = ratio.caregraphOverBare;
    const hive = ratio.caregraphOverHive;
    const p99 = ratio.p99CaregraphOverHive;
    lines.push(
      `${ratio.operation.padEnd(9)} own layer ≤ 5%: ${fixed(bare, 2)} of bare (${verdict(bare === null ? null : bare >= 0.95)}); ` +
        `≥ Hive req/s: ${fixed(hive, 2)} (${verdict(hive === null ? null : hive >= 1)}); ` +
        `p99 below Hive: ${fixed(p99, 2)} (${verdict(p99 === null ? null : p99 < 1)})`,
    );
  }
  const gatewayRss = report.throughput.filter((row) => row.target === 'caregraph' && row.gatewayPeakRssMb !== null);
  const peak = gatewayRss.length ? Math.max(...gatewayRss.map((row) => row.gatewayPeakRssMb!)) : null;
  lines.push(`CareGraph gateway peak RSS under load < ${RSS_LIMIT_MB} MB: ${fixed(peak, 0)} MB (${verdict(peak === null ? null : peak < RSS_LIMIT_MB)})`);
  if (report.flood) lines.push(...floodTargetLines(report.flood));
  if (report.noisy) lines.push(...noisyTargetLines(report.noisy));
  lines.push(`SQL statements per request flat in N: ${verdict(report.nPlusOne.flat)}`);
  lines.push(...startupTargetLines(report.startup));
  return lines;
}

/** The flood scenario's targets, each met or missed. */
export function floodTargetLines(flood: FloodResult): string[] {
  const { p50, p99 } = flood.latencyRatio;
  const latencyMet = p50 === null || p99 === null ? null : p50 <= FLOOD_LATENCY_LIMIT && p99 <= FLOOD_LATENCY_LIMIT;
  const cost = flood.limiter.costMsPerRequest;
  const share = flood.refusedShare;
  return [
    `flood     dashboard p50 / p99 with the flood ≤ ${FLOOD_LATENCY_LIMIT}× without: ${fixed(p50, 2)} / ${fixed(p99, 2)} (${verdict(latencyMet)}); ` +
      `dashboard 429s: ${flood.dashboard.rateLimited} (${verdict(flood.dashboard.rateLimited === 0)})`,
    `flood     share of the flood refused (429): ${percent(share)}, expected ≈ ${percent(flood.expectedRefusedShare)}; ` +
      `other errors: ${flood.nonRateLimitErrors} (${verdict(flood.nonRateLimitErrors === 0)}); counters: ${flood.limiterMode}`,
    `flood     limiter cost ≤ ${LIMITER_COST_LIMIT_MS} ms of gateway CPU per request: ${fixed(cost, 2)} ms (${verdict(cost === null ? null : cost <= LIMITER_COST_LIMIT_MS)})`,
  ];
}

/** The flood scenario as text: the dashboard's runs, then the flood's answers. */
export function formatFlood(flood: FloodResult): string {
  const { dashboard } = flood;
  const plans = Object.entries(dashboard.plans).map(([plan, n]) => `${n} ${plan}`).join(', ');
  const run = (label: string, figures: DashboardRun): string[] => [
    label,
    fixed(figures.requestsPerSecond, 1),
    fixed(figures.latencyMs.p50, 1),
    fixed(figures.latencyMs.p99, 1),
    String(figures.errors - figures.rateLimited),
    String(figures.rateLimited),
    fixed(figures.gatewayPeakRssMb, 0),
    fixed(figures.gatewayCpuMsPerRequest, 2),
    fixed(figures.otherWorkCores, 2),
  ];
  const { flood: sent } = flood;
  const perRound = flood.limiter.rounds
    .map((round) => (round.on.gatewayCpuMsPerRequest === null || round.off.gatewayCpuMsPerRequest === null ? null : round.on.gatewayCpuMsPerRequest - round.off.gatewayCpuMsPerRequest))
    .map((cost) => fixed(cost, 2))
    .join(', ');
  return [
    `Flood  one partner key on a ${flood.floodTenant.plan}-plan tenant at ${fixed(flood.floodRatePerSecond, 0)} req/s ` +
      `(${Math.round(flood.floodRatePerSecond / (flood.keyLimitPerMinute / 60))}× its ${flood.keyLimitPerMinute}/min), ` +
      `beside the tenant dashboard of ${dashboard.users} users of ${dashboard.tenants} tenants (${plans}), ${dashboard.connections} connections; ` +
      `limits counted ${flood.limiterMode === 'shared' ? 'in PostgreSQL' : `'${flood.limiterMode}'`}, ${flood.windowSeconds} s window`,
    table(
      ['dashboard run', 'req/s', 'p50 ms', 'p99 ms', 'errors', '429', 'gw RSS MB', 'gw CPU ms/req', 'other work, cores'],
      [
        run('(1) alone, limits on', flood.alone),
        run('(2) with the flood, limits on', flood.withFlood),
        run('(1′) alone again, limits on', flood.aloneAfter),
        ...flood.limiter.rounds.flatMap((round, i) => [
          run(`cost round ${i + 1}: limits on`, round.on),
          run(`cost round ${i + 1}: limits off, alongside`, round.off),
        ]),
      ],
      1,
    ),
    '',
    `flood: ${sent.sent} sent in ${fixed(sent.seconds, 1)} s (${fixed(sent.seconds > 0 ? sent.sent / sent.seconds : null, 1)}/s): ` +
      `${sent.rateLimited} refused (${percent(flood.refusedShare)}), ${sent.served} served, ${sent.failed} failed, ${sent.skipped} not sent; ` +
      `refusal p50 / p99 ${fixed(sent.refusedLatencyMs.p50, 1)} / ${fixed(sent.refusedLatencyMs.p99, 1)} ms (run (2)'s gateway CPU per request includes the flood's)`,
    `dashboard with the flood / without (mean of (1) and (1′)): p50 ${fixed(flood.latencyRatio.p50, 2)}×, p99 ${fixed(flood.latencyRatio.p99, 2)}×; ` +
      `dashboard users' peak ${fixed(dashboard.peakUserPerSecond, 2)} req/s per user (limit ${fixed(dashboard.userLimitPerSecond, 1)}), ` +
      `${fixed(dashboard.peakTenantPerSecond, 2)} per tenant (limit ${fixed(dashboard.tenantLimitPerSecond, 1)})`,
    `limiter: gateway CPU ${fixed(flood.limiter.onCpuMsPerRequest, 2)} ms/req with limits on against ${fixed(flood.limiter.offCpuMsPerRequest, 2)} off ` +
      `(${flood.limiter.rounds.length} round${flood.limiter.rounds.length === 1 ? '' : 's'}, both gateways at once, ${flood.limiter.ratePerSecond} req/s each): ${fixed(flood.limiter.costMsPerRequest, 2)} ms per request (by round: ${perRound}); ` +
      `counters ${flood.limiterMode} (${flood.sharedCounters.rows} rows of the key in gateway.rate_limit_counters)`,
  ].join('\n');
}

/** Scenario D's targets, each met or missed. */
export function noisyTargetLines(noisy: NoisyResult): string[] {
  const { waitP99, apiP99 } = noisy.ratios;
  const met = (value: number | null) => verdict(value === null ? null : value <= NOISY_RATIO_LIMIT);
  const lost = noisy.baseline.othersWaitMs.notStarted + noisy.flood.othersWaitMs.notStarted;
  return [
    `D         other tenants' job wait p99 with the flood ≤ ${NOISY_RATIO_LIMIT}× without: ${fixed(waitP99, 2)} (${met(waitP99)}); ` +
      `their API p99: ${fixed(apiP99, 2)} (${met(apiP99)}); runs never started: ${lost} (${verdict(lost === 0)})`,
  ];
}

/** Scenario D as text: the two phases side by side, the flood's drain, and the two ceilings. */
export function formatNoisy(noisy: NoisyResult): string {
  const { settings, baseline, flood } = noisy;
  const row = (label: string, pick: (phase: NoisyPhase) => string, ratio?: number | null) => [label, pick(baseline), pick(flood), ratio === undefined ? '' : `${fixed(ratio, 2)}×`];
  const floodTenant = flood.floodTenant;
  return [
    `D  noisy neighbour: ${settings.tenants} pooled tenants (tenant users) at ${settings.eligibilityPerSecond} eligibility checks/s + ${settings.claimsPerSecond} claims/s each, ` +
      `${settings.phaseSeconds} s per phase; in (2) one standard tenant also sends claims at ${fixed(settings.floodClaimsPerSecond, 1)}/s (20×); ` +
      `payers at ${settings.payerLatencyMs} ms; one clinical-ops worker (${settings.workerSlotsPerQueue} slots per queue; per tenant 1 standard, 2 enhanced, 4 critical)`,
    table(
      ['other tenants', '(1) baseline', '(2) with the flood', '(2)/(1)'],
      [
        row('mutations sent (all tenants) / failed', (p) => `${p.requests} / ${p.errors}`),
        row('API p50 ms', (p) => fixed(p.othersApiMs.p50, 1)),
        row('API p99 ms', (p) => fixed(p.othersApiMs.p99, 1), noisy.ratios.apiP99),
        row('job wait p50 ms (queued → 1st attempt)', (p) => fixed(p.othersWaitMs.p50, 0), noisy.ratios.waitP50),
        row('job wait p99 ms', (p) => fixed(p.othersWaitMs.p99, 0), noisy.ratios.waitP99),
        row('runs / never started', (p) => `${p.othersWaitMs.runs} / ${p.othersWaitMs.notStarted}`),
        row(`${noisy.enhancedTenantTier ?? 'no'}-tier tenant eligibility wait p99 ms`, (p) => `${fixed(p.enhancedEligibilityWaitMs.p99, 0)} (${p.enhancedEligibilityWaitMs.runs} runs)`),
        row('jobs/s completed (all tenants)', (p) => fixed(p.jobsPerSecond, 1)),
        row('dead-lettered / on a dedicated queue', (p) => `${p.deadLettered} / ${p.dedicated}`),
      ],
      1,
    ),
    '',
    `flooding tenant: ${floodTenant.claims} claims (${floodTenant.errors} failed), its wait p50 / p99 ${fixed(floodTenant.waitMs.p50, 0)} / ${fixed(floodTenant.waitMs.p99, 0)} ms; ` +
      `backlog drained ${fixed(floodTenant.drainSeconds, 1)} s after its last request`,
    `ceilings: raw pg-boss (same database, throwaway queue, ${noisy.rawPgBoss.jobs} jobs, 8 lanes): send ${fixed(noisy.rawPgBoss.sendPerSecond, 0)}/s, ` +
      `fetch + complete ${fixed(noisy.rawPgBoss.fetchCompletePerSecond, 0)}/s; claims queue, payers at 0 ms (${noisy.claimsAtZeroLatency.claims} claims, ` +
      `${noisy.claimsAtZeroLatency.errors} failed): ${fixed(noisy.claimsAtZeroLatency.jobsPerSecond, 1)} runs/s`,
  ].join('\n');
}

/** Scenario C's targets, each met or missed. */
export function startupTargetLines(startup: StartupResult): string[] {
  const seconds = startup.existingFolderSeconds;
  const rss = Object.values(startup.idleRssMb);
  const peak = rss.length ? Math.max(...rss) : null;
  return [
    `npm start → ready on an existing data folder ≤ ${START_LIMIT_SECONDS} s: ${fixed(seconds, 1)} s (${verdict(seconds === null ? null : seconds <= START_LIMIT_SECONDS)})`,
    `idle RSS per service ≤ ${IDLE_RSS_LIMIT_MB} MB: at most ${fixed(peak, 0)} MB (${verdict(peak === null ? null : peak <= IDLE_RSS_LIMIT_MB)})`,
  ];
}

/** Scenario C as a table: start-up and seeding times, then each service's idle memory. */
export function formatStartup(startup: StartupResult): string {
  return [
    'C  start-up',
    table(
      ['measure', 'seconds'],
      [
        ['npm start → ready, empty data folder', fixed(startup.emptyFolderSeconds, 1)],
        ['npm start → ready, existing data folder', startup.existingFolderSeconds === null ? 'skipped' : fixed(startup.existingFolderSeconds, 1)],
        [`seed ${startup.seed.tenants} tenants (migrated scratch database)`, fixed(startup.seed.seconds, 1)],
      ],
    ),
    '',
    table(
      ['service (ready, idle)', 'RSS MB'],
      Object.entries(startup.idleRssMb).map(([service, mb]) => [service, String(mb)]),
    ),
  ].join('\n');
}

export function formatReport(report: BenchReport): string {
  const { machine, settings } = report;
  const out: string[] = [];
  out.push(
    `CareGraph benchmark — ${report.mode} run, ${report.startedAt}`,
    `${machine.cpu} × ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}`,
    `${settings.connections} connections, ${settings.warmupSeconds} s warm-up, ${settings.durationSeconds} s measured; ` +
      `${settings.tenantsInDatabase} tenants in the database`,
    ...(report.mode === 'smoke' ? ['smoke mode: scenario C ran alongside A and B; no figure here is a measurement'] : []),
    '',
  );
  if (report.throughput.length > 0) {
    out.push(
      table(
        ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'gw RSS MB', 'gw CPU ms/req', 'subgraphs CPU ms/req', 'same answer'],
        report.throughput.map((row) => [
          row.operation,
          TARGET_LABELS[row.target],
          fixed(row.requestsPerSecond, 1),
          fixed(row.latencyMs.p50, 1),
          fixed(row.latencyMs.p99, 1),
          String(row.errors),
          fixed(row.gatewayPeakRssMb, 0),
          fixed(row.gatewayCpuMsPerRequest, 2),
          fixed(row.subgraphsCpuMsPerRequest, 2),
          row.sameAnswerAsCareGraph === null ? '—' : row.sameAnswerAsCareGraph ? 'yes' : 'NO',
        ]),
      ),
      '',
    );
    out.push(
      table(
        ['ratios', 'CareGraph/bare req/s', 'CareGraph/Hive req/s', 'CareGraph/Hive p99'],
        report.ratios.map((ratio) => [
          ratio.operation,
          fixed(ratio.caregraphOverBare, 2),
          fixed(ratio.caregraphOverHive, 2),
          fixed(ratio.p99CaregraphOverHive, 2),
        ]),
      ),
      '',
    );
  }
  if (report.flood) out.push(formatFlood(report.flood), '');
  if (report.noisy) out.push(formatNoisy(report.noisy), '');
  out.push('B  SQL statements per request, tenants(first: N) with all four extensions');
  out.push(
    table(
      ['N', 'tenants', 'statements', 'tenancy', 'erp', 'clinical-ops', 'observability'],
      report.nPlusOne.rows.map((row) => [
        String(row.first),
        String(row.tenants),
        fixed(row.statementsPerRequest, 1),
        fixed(row.bySubgraph.tenancy, 1),
        fixed(row.bySubgraph.erp, 1),
        fixed(row.bySubgraph['clinical-ops'], 1),
        fixed(row.bySubgraph.observability, 1),
      ]),
    ),
    '',
  );
  out.push(formatStartup(report.startup), '');
  out.push('Targets', ...targetLines(report).map((line) => `  ${line}`));
  return out.join('\n');
}

const percent = (share: number | null) => (share === null ? '—' : `${(share * 100).toFixed(1)}%`);

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

/** A plain-text table: the first `leftColumns` columns left-aligned (two when there are more than two), the rest right-aligned. */
function table(header: string[], rows: string[][], leftColumns = header.length > 2 ? 2 : 1): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
