/** Ratios against the baselines, the targets, and the one table the run prints. */
import type { BenchReport } from './harness.js';
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

/** The targets, each met or missed, as lines of text. */
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
  lines.push(`SQL statements per request flat in N: ${verdict(report.nPlusOne.flat)}`);
  lines.push(...startupTargetLines(report.startup));
  return lines;
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

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

/** A plain-text table: first column left-aligned, the rest right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i <= 1 && header.length > 2 ? cell.padEnd(widths[i]!) : i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
