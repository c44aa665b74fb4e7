/**
 * Everything the simulators remember, in memory and bounded (lru-cache): the receipt under each
 * Idempotency-Key, how often each request identity was asked (the attempt number its fault is
 * drawn with), each system's own records, and the counts GET /admin/stats reports.
 * POST /admin/reset clears it all.
 *
 * `distinctKeys` is counted apart from the receipts (in a longer set of the keys seen), so the
 * two can disagree: should a receipt be forgotten (more keys than `receipts` holds) and its key
 * come again, the simulator receives it a second time and `received` exceeds `distinctKeys` —
 * exactly the double receipt a test of "never sent twice" must be able to see.
 */
import { LRUCache } from 'lru-cache';
import { SYSTEMS, type Receipt, type SystemName } from './system.js';

/** How an answered request ended, as GET /admin/stats counts it. */
export const OUTCOMES = ['ok', 'refused', 'failed', 'timeout', 'malformed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface StateLimits {
  /** Receipts kept (answers replayed for a key seen again); past it the least recently used goes. */
  receipts: number;
  /** Keys remembered as seen, for `distinctKeys`; longer than `receipts`. */
  seenKeys: number;
  /** Request identities whose attempts are counted, and records kept by the systems. */
  entries: number;
}

export const DEFAULT_LIMITS: StateLimits = Object.freeze({ receipts: 10_000, seenKeys: 100_000, entries: 100_000 });

export interface SystemStats {
  requests: number;
  outcomes: Record<Outcome, number>;
  /** Systems with idempotent creates only: first receipts, distinct keys ever received, and requests answered with an earlier receipt. */
  received?: number;
  distinctKeys?: number;
  duplicatesAnswered?: number;
}

interface Counters {
  outcomes: Record<Outcome, number>;
  received: number;
  distinctKeys: number;
  duplicatesAnswered: number;
}

/** Every part of the memory is keyed `system \n scope \n key`: no system reads another's. */
const slot = (...parts: string[]) => parts.join('\n');

export class SimulatorState {
  private readonly receipts: LRUCache<string, Receipt>;
  private readonly seen: LRUCache<string, true>;
  private readonly attempts: LRUCache<string, number>;
  private readonly records: LRUCache<string, { value: unknown }>;
  private counters = freshCounters();

  /** `idempotentSystems`: those whose stats carry the receipt counts. */
  constructor(
    private readonly idempotentSystems: ReadonlySet<SystemName>,
    limits: StateLimits = DEFAULT_LIMITS,
  ) {
    this.receipts = new LRUCache({ max: limits.receipts });
    this.seen = new LRUCache({ max: limits.seenKeys });
    this.attempts = new LRUCache({ max: limits.entries });
    this.records = new LRUCache({ max: limits.entries });
  }

  /** The attempt number of this request for `identity` at `system`: 1 the first time, 2 the next … */
  attempt(system: SystemName, identity: string): number {
    const key = slot(system, identity);
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    return attempt;
  }

  /** The receipt under `key`, without counting anything (GET /payers/{payerId}/claims/{key}). */
  receipt(system: SystemName, scope: string, key: string): Receipt | undefined {
    return this.receipts.get(slot(system, scope, key));
  }

  /** The receipt under `key` when the key was received before, counted as a duplicate answered. */
  replay(system: SystemName, scope: string, key: string): Receipt | undefined {
    const receipt = this.receipts.get(slot(system, scope, key));
    if (receipt) this.counters[system].duplicatesAnswered += 1;
    return receipt;
  }

  /** A first receipt under `key`: what every later request with the key is answered. */
  record(system: SystemName, scope: string, key: string, receipt: Receipt): void {
    const id = slot(system, scope, key);
    this.receipts.set(id, receipt);
    this.counters[system].received += 1;
    if (!this.seen.has(id)) this.counters[system].distinctKeys += 1;
    this.seen.set(id, true);
  }

  /** A system's own memory. */
  recordsOf(system: SystemName): { get(id: string): unknown; set(id: string, value: unknown): void } {
    return {
      get: (id) => this.records.get(slot(system, id))?.value,
      set: (id, value) => void this.records.set(slot(system, id), { value }),
    };
  }

  count(system: SystemName, outcome: Outcome): void {
    this.counters[system].outcomes[outcome] += 1;
  }

  stats(): Record<SystemName, SystemStats> {
    return Object.fromEntries(
      SYSTEMS.map((system) => {
        const { outcomes, received, distinctKeys, duplicatesAnswered } = this.counters[system];
        const requests = OUTCOMES.reduce((sum, outcome) => sum + outcomes[outcome], 0);
        const receipts = this.idempotentSystems.has(system) ? { received, distinctKeys, duplicatesAnswered } : {};
        return [system, { requests, outcomes: { ...outcomes }, ...receipts }];
      }),
    ) as Record<SystemName, SystemStats>;
  }

  /** Forgets everything: receipts, keys seen, attempts, records and counts. */
  clear(): void {
    this.receipts.clear();
    this.seen.clear();
    this.attempts.clear();
    this.records.clear();
    this.counters = freshCounters();
  }
}

function freshCounters(): Record<SystemName, Counters> {
  return Object.fromEntries(
    SYSTEMS.map((system) => [
      system,
      { outcomes: Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>, received: 0, distinctKeys: 0, duplicatesAnswered: 0 },
    ]),
  ) as Record<SystemName, Counters>;
}
