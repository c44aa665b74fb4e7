/**
 * The benchmark harness in its shortest mode, against the test database: every scenario
 * runs and reports figures (the noisy neighbour, D, included). Speeds are not asserted — this machine's load decides them; nor
 * are the flood's latency ratio and the limiter's cost, only that they come out, that the
 * flood is mostly refused and that nothing else failed.
 */
import { describe, expect, inject, it } from 'vitest';
import { adminUrl } from '../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../test/support/env.js';
import { runHarness } from './harness.js';
import { MODES } from './modes.js';
import { formatReport } from './report.js';

describe('benchmark harness (smoke mode)', () => {
  it('measures every target of scenarios A and A2, the flood, the noisy neighbour (D), and scenarios B and C', async () => {
    const report = await runHarness({
      mode: MODES.smoke,
      adminUrl: adminUrl(),
      dataDir: inject('dataDir'),
      appPassword: TEST_APP_PASSWORD,
    });

    const operations = ['A-tenant', 'A-fleet', 'A2-deep'];
    for (const operation of operations) {
      for (const target of ['caregraph', 'apollo', 'hive', 'subgraph']) {
        const row = report.throughput.find((r) => r.operation === operation && r.target === target);
        expect(row, `${operation} / ${target}`).toBeDefined();
        expect(row!.requests).toBeGreaterThan(0);
        expect(row!.errors).toBe(0);
        expect(row!.latencyMs.p99).toBeGreaterThan(0);
        if (target !== 'subgraph') {
          expect(row!.gatewayPeakRssMb).toBeGreaterThan(0);
          expect(row!.sameAnswerAsCareGraph).toBe(true);
        }
      }
    }
    expect(report.ratios.map((ratio) => ratio.operation)).toEqual(operations);
    for (const ratio of report.ratios) {
      expect(ratio.caregraphOverBare).toBeGreaterThan(0);
      expect(ratio.caregraphOverHive).toBeGreaterThan(0);
    }

    const flood = report.flood!;
    expect(flood).not.toBeNull();
    // Counted in PostgreSQL, through the gateway role: the key's buckets are in the shared table.
    expect(flood.limiterMode).toBe('shared');
    expect(flood.sharedCounters.rows).toBeGreaterThan(0);
    expect(flood.flood.sent).toBeGreaterThan(0);
    expect(flood.refusedShare!).toBeGreaterThan(0.5);
    expect(flood.flood.served).toBeGreaterThan(0);
    expect(flood.flood.failed).toBe(0);
    expect(flood.nonRateLimitErrors).toBe(0);
    expect(flood.dashboard.rateLimited).toBe(0);
    for (const run of [flood.alone, flood.withFlood, flood.aloneAfter, ...flood.limiter.rounds.flatMap((round) => [round.on, round.off])]) {
      expect(run.requests).toBeGreaterThan(0);
      expect(run.errors).toBe(0);
    }
    expect(flood.latencyRatio.p50).toBeGreaterThan(0);
    expect(flood.latencyRatio.p99).toBeGreaterThan(0);
    expect(flood.limiter.costMsPerRequest).not.toBeNull();

    const noisy = report.noisy!;
    expect(noisy).not.toBeNull();
    for (const phase of [noisy.baseline, noisy.flood]) {
      expect(phase.requests).toBeGreaterThan(0);
      expect(phase.errors).toBe(0);
      expect(phase.othersWaitMs.runs).toBeGreaterThan(0);
      expect(phase.othersWaitMs.notStarted).toBe(0);
      expect(phase.othersWaitMs.p99).not.toBeNull();
      expect(phase.othersApiMs.p99).toBeGreaterThan(0);
    }
    expect(noisy.flood.floodTenant.claims).toBeGreaterThan(0);
    expect(noisy.flood.floodTenant.drainSeconds).not.toBeNull();
    expect(noisy.rawPgBoss.fetchCompletePerSecond).toBeGreaterThan(0);
    expect(noisy.claimsAtZeroLatency.jobsPerSecond).toBeGreaterThan(0);

    expect(report.nPlusOne.rows.map((row) => row.first)).toEqual(MODES.smoke.pageSizes);
    for (const row of report.nPlusOne.rows) expect(row.statementsPerRequest).toBeGreaterThan(0);

    expect(report.startup.emptyFolderSeconds).toBeGreaterThan(0);
    expect(report.startup.seed.seconds).toBeGreaterThan(0);

    const table = formatReport(report);
    expect(table).toContain('CareGraph/bare');
    expect(table).toContain('Hive Gateway');
    expect(table).toContain('share of the flood refused');
    expect(table).toContain('noisy neighbour');
  }, 300_000);
});
