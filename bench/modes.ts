/**
 * How long and how hard each mode measures. `full` is the run whose figures go into
 * docs/performance.md; `quick` checks everything in about three minutes; `smoke` is the
 * shortest run that still exercises every scenario (the harness test uses it).
 */
import type { NoisySettings } from './scenarios/noisy-neighbour.js';

export type ModeName = 'full' | 'quick' | 'smoke';

export interface Mode {
  name: ModeName;
  /** Concurrent connections of the load generator, each with one request in flight. */
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /**
   * When set, each cell measures this many requests instead of a fixed time: a proof that
   * every target answers, however loaded the machine (the smoke mode).
   */
  requestsPerCell?: number;
  /** Page sizes of scenario B. */
  pageSizes: number[];
  /** Tenants seeded into a scratch database to time seeding (scenario C). */
  seedTenants: number;
  /** Whether scenario C also times `npm start` on the data folder the first start left behind. */
  restartOnExistingFolder: boolean;
  /**
   * Runs scenario C alongside A and B to save time. Their figures then disturb each other, so
   * only the smoke mode does it: it proves the harness works, not how fast anything is.
   */
  startupAlongside: boolean;
  /** The flood scenario (scenarios/flood.ts). */
  flood: FloodSettings;
  /** Scenario D, the noisy neighbour on the workflow queues (scenarios/noisy-neighbour.ts). */
  noisy: NoisySettings;
}

export interface FloodSettings {
  /**
   * RATE_LIMIT_WINDOW_SECONDS of the scenario's gateways (60 by default). The plans' limits are
   * scaled to it, so the rates per second are the same; a shorter window only lets the flood's
   * key reach its steady state (one window after it is spent) within a short lead-in.
   */
  windowSeconds: number;
  /** Tenants (premium and enterprise) whose users send the dashboard, and users per tenant. */
  dashboardTenants: number;
  usersPerTenant: number;
  /** Measured runs of the limiter's cost, each loading the gateway with limits on and the one with them off at once. */
  costRounds: number;
  /** Seconds the flood is measured when the dashboard counts requests instead of seconds (`requestsPerCell`). */
  countedFloodSeconds?: number;
}

export const MODES: Record<ModeName, Mode> = {
  full: {
    name: 'full',
    connections: 16,
    warmupSeconds: 5,
    durationSeconds: 20,
    pageSizes: [10, 100, 400],
    seedTenants: 400,
    restartOnExistingFolder: true,
    startupAlongside: false,
    flood: { windowSeconds: 10, dashboardTenants: 24, usersPerTenant: 4, costRounds: 3 },
    noisy: { tenants: 20, phaseSeconds: 60, eligibilityPerSecond: 0.05, claimsPerSecond: 0.05, payerLatencyMs: 50, rawJobs: 2000, zeroLatencyClaimsPerTenant: 10 },
  },
  quick: {
    name: 'quick',
    connections: 16,
    warmupSeconds: 2,
    durationSeconds: 5,
    pageSizes: [10, 100, 400],
    seedTenants: 400,
    restartOnExistingFolder: true,
    startupAlongside: false,
    flood: { windowSeconds: 10, dashboardTenants: 24, usersPerTenant: 4, costRounds: 2 },
    noisy: { tenants: 20, phaseSeconds: 30, eligibilityPerSecond: 0.05, claimsPerSecond: 0.05, payerLatencyMs: 50, rawJobs: 1000, zeroLatencyClaimsPerTenant: 5 },
  },
  smoke: {
    name: 'smoke',
    connections: 2,
    warmupSeconds: 0,
    durationSeconds: 1,
    requestsPerCell: 4,
    pageSizes: [10, 100, 400],
    seedTenants: 40,
    restartOnExistingFolder: false,
    startupAlongside: true,
    flood: { windowSeconds: 1, dashboardTenants: 8, usersPerTenant: 2, costRounds: 1, countedFloodSeconds: 2 },
    noisy: { tenants: 4, phaseSeconds: 2, eligibilityPerSecond: 1, claimsPerSecond: 0.5, payerLatencyMs: 50, rawJobs: 40, zeroLatencyClaimsPerTenant: 2 },
  },
};

/** The demo fleet size the full and quick runs benchmark against. */
export const BENCH_TENANTS = 400;
