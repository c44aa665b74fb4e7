/**
 * A circuit breaker for the calls to one dependency (the gateway keeps one per subgraph; the
 * integration gateway one per connector and tenant, through `CircuitBreakerRegistry`).
 *
 * - closed: calls go through. What opens it is one of two counts:
 *   - in a row (the default): `failureThreshold` failures in a row open it, a success resets the
 *     count. This keeps the state a few numbers and makes the trip point exact: a dependency that
 *     answers at all keeps the circuit closed.
 *   - in a rolling window (`windowMs` set): `failureThreshold` failures within the last
 *     `windowMs` open it whatever succeeded in between, and so does a failure ratio
 *     (`failureRatio`, once `minimumCalls` calls fell in the window). This catches a dependency
 *     that fails every other call, which a count in a row never trips on. The window is kept as
 *     ten buckets (constant memory per breaker): a call older than the window never counts, one
 *     younger than nine tenths of it always does.
 * - open: calls are refused at once with `CircuitOpenError`, without touching the network, so
 *   a dead dependency costs a request nothing, not a timeout each.
 * - half-open, once `coolDownMs` have passed: one call, the trial, goes through while the
 *   others are still refused; its success closes the circuit (with its counts cleared), its
 *   failure opens it again for another cool-down. A short cool-down (about a second) means a
 *   recovered dependency is used again within about a second of coming back, at the cost of one
 *   trial call per cool-down while it stays down.
 *
 * Only the outcome of a call admitted in the current state moves it: a call that was admitted
 * while closed and fails after the circuit opened (a slow one, timing out late) is stale news
 * and neither extends the cool-down nor spoils the trial.
 */
import { LRUCache } from 'lru-cache';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** How a failed call counts: a `failure` of the dependency, or `ignored` (the caller gave up, say). */
export type FailureKind = 'failure' | 'ignored';

export interface CircuitBreakerOptions {
  /** Failures that open a closed circuit (≥ 1): in a row, or within `windowMs` when that is set. */
  failureThreshold: number;
  /** How long an open circuit refuses every call before it lets one trial through. */
  coolDownMs: number;
  /** Count failures in a rolling window of this many milliseconds instead of in a row (≥ 10). */
  windowMs?: number;
  /** With `windowMs`: the share of failed calls in the window (0 < ratio ≤ 1) that also opens the circuit. */
  failureRatio?: number;
  /** With `failureRatio`: the calls the window must hold before the ratio is judged (default 10). */
  minimumCalls?: number;
  /** Told of every change of state, with the failure that caused it when one did (for the log). */
  onStateChange?: (change: { from: BreakerState; to: BreakerState; error?: unknown }) => void;
  /** The clock (tests drive their own). */
  now?: () => number;
}

/** What the breaker knows, for an operator's status page. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** Failures in a row counted while closed. */
  consecutiveFailures: number;
  /** Calls and failures in the rolling window, while closed (both 0 without `windowMs`). */
  windowCalls: number;
  windowFailures: number;
  /** When the last counted failure happened (ms since the epoch), or null. */
  lastFailureAt: number | null;
  /** When the circuit last opened, while it is not closed; null when closed. */
  openedAt: number | null;
}

/** Thrown instead of calling the dependency while the circuit is open (or its trial is out). */
export class CircuitOpenError extends Error {
  constructor() {
    super('Circuit open: the call was not attempted');
    this.name = 'CircuitOpenError';
  }
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private lastFailureAt: number | null = null;
  /** A half-open trial is in flight: every other call is refused until it settles. */
  private trialOut = false;
  private readonly now: () => number;
  /** The rolling window's counts, when failures are counted in one. */
  private readonly window: RollingWindow | undefined;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new RangeError('failureThreshold must be an integer ≥ 1');
    if (!(options.coolDownMs >= 0)) throw new RangeError('coolDownMs must be ≥ 0');
    if (options.windowMs !== undefined && !(options.windowMs >= 10)) throw new RangeError('windowMs must be ≥ 10');
    if (options.failureRatio !== undefined) {
      if (options.windowMs === undefined) throw new RangeError('failureRatio needs windowMs');
      if (!(options.failureRatio > 0 && options.failureRatio <= 1)) throw new RangeError('failureRatio must be in (0, 1]');
    }
    if (options.minimumCalls !== undefined && !(Number.isInteger(options.minimumCalls) && options.minimumCalls >= 1)) throw new RangeError('minimumCalls must be an integer ≥ 1');
    this.now = options.now ?? Date.now;
    this.window = options.windowMs === undefined ? undefined : new RollingWindow(options.windowMs);
  }

  /** The state a call arriving now would meet: an open circuit past its cool-down reads half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.coolDownMs) return 'half-open';
    return this.current;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    const counts = state === 'closed' && this.window ? this.window.totals(this.now()) : { calls: 0, failures: 0 };
    return {
      state,
      consecutiveFailures: this.failures,
      windowCalls: counts.calls,
      windowFailures: counts.failures,
      lastFailureAt: this.lastFailureAt,
      openedAt: state === 'closed' ? null : this.openedAt,
    };
  }

  /**
   * Runs `work` unless the circuit refuses it (`CircuitOpenError`, `work` not called). A
   * resolved call is a success; a rejected one counts as `classify` says (default: a failure),
   * and its error is rethrown either way.
   */
  async run<T>(work: () => Promise<T>, classify: (error: unknown) => FailureKind = () => 'failure'): Promise<T> {
    const trial = this.admit();
    let result: T;
    try {
      result = await work();
    } catch (error) {
      if (classify(error) === 'failure') this.failed(trial, error);
      else if (trial) this.trialOut = false; // no verdict: the next call may try instead
      throw error;
    }
    this.succeeded(trial);
    return result;
  }

  /** Admits a call or throws; true when the call is the half-open trial. */
  private admit(): boolean {
    if (this.current === 'closed') return false;
    if (this.current === 'open') {
      if (this.state !== 'half-open') throw new CircuitOpenError();
      this.move('half-open');
    }
    if (this.trialOut) throw new CircuitOpenError();
    this.trialOut = true;
    return true;
  }

  private succeeded(trial: boolean): void {
    if (trial) {
      this.trialOut = false;
      this.failures = 0;
      this.window?.clear();
      this.move('closed');
    } else if (this.current === 'closed') {
      this.failures = 0;
      // A success adds to the window's calls: the ratio can only fall by it, never trip.
      this.window?.add(this.now(), false);
    }
  }

  private failed(trial: boolean, error: unknown): void {
    if (trial) {
      this.trialOut = false;
      this.lastFailureAt = this.now();
      this.open(error);
    } else if (this.current === 'closed') {
      const now = this.now();
      this.lastFailureAt = now;
      this.failures += 1;
      if (this.tripped(now)) this.open(error);
    }
  }

  /** Whether the failure just counted opens the circuit. */
  private tripped(now: number): boolean {
    const { failureThreshold, failureRatio, minimumCalls = 10 } = this.options;
    if (!this.window) return this.failures >= failureThreshold;
    this.window.add(now, true);
    const { calls, failures } = this.window.totals(now);
    return failures >= failureThreshold || (failureRatio !== undefined && calls >= minimumCalls && failures / calls >= failureRatio);
  }

  private open(error: unknown): void {
    this.openedAt = this.now();
    this.window?.clear();
    this.move('open', error);
  }

  private move(to: BreakerState, error?: unknown): void {
    const from = this.current;
    this.current = to;
    if (from !== to) this.options.onStateChange?.({ from, to, ...(error === undefined ? {} : { error }) });
  }
}

/** Buckets of the rolling window: its resolution is a tenth of the window. */
const WINDOW_BUCKETS = 10;

/** Calls and failures over the last `windowMs`, in WINDOW_BUCKETS buckets (constant memory). */
class RollingWindow {
  private readonly bucketMs: number;
  /** Which slice of time (`floor(t / bucketMs)`) each bucket holds now; -1 for none. */
  private readonly slices = new Array<number>(WINDOW_BUCKETS).fill(-1);
  private readonly calls = new Array<number>(WINDOW_BUCKETS).fill(0);
  private readonly failures = new Array<number>(WINDOW_BUCKETS).fill(0);

  constructor(windowMs: number) {
    this.bucketMs = windowMs / WINDOW_BUCKETS;
  }

  add(now: number, failed: boolean): void {
    const slice = Math.floor(now / this.bucketMs);
    const index = slice % WINDOW_BUCKETS;
    if (this.slices[index] !== slice) {
      this.slices[index] = slice;
      this.calls[index] = 0;
      this.failures[index] = 0;
    }
    this.calls[index]! += 1;
    if (failed) this.failures[index]! += 1;
  }

  totals(now: number): { calls: number; failures: number } {
    const current = Math.floor(now / this.bucketMs);
    let calls = 0;
    let failures = 0;
    for (let index = 0; index < WINDOW_BUCKETS; index += 1) {
      const slice = this.slices[index]!;
      if (slice > current - WINDOW_BUCKETS && slice <= current) {
        calls += this.calls[index]!;
        failures += this.failures[index]!;
      }
    }
    return { calls, failures };
  }

  clear(): void {
    this.slices.fill(-1);
  }
}

/** How each breaker of a registry is set: the thresholds, without the registry-wide hooks. */
export type BreakerSettings = Omit<CircuitBreakerOptions, 'onStateChange' | 'now'>;

export interface CircuitBreakerRegistryOptions {
  /** Breakers kept at most (default 10,000): past it the least recently used goes, closed or not. */
  maxKeys?: number;
  /** Told of every change of state of any breaker, with its key. */
  onStateChange?: (key: string, change: { from: BreakerState; to: BreakerState; error?: unknown }) => void;
  now?: () => number;
}

/**
 * One breaker per key (the integration gateway keys them `connector:tenant`, so one tenant's
 * failing endpoint never opens another tenant's circuit), in bounded memory: an LRU of at most
 * `maxKeys`. A breaker evicted for want of room starts closed when its key comes back — only a
 * key unused while `maxKeys` others were used is lost, and an open circuit that is being called
 * is recently used. A key asked for with other settings than its breaker has (a tenant's
 * thresholds changed) gets a fresh breaker with the new ones.
 */
export class CircuitBreakerRegistry {
  private readonly breakers: LRUCache<string, { signature: string; breaker: CircuitBreaker }>;

  constructor(private readonly options: CircuitBreakerRegistryOptions = {}) {
    this.breakers = new LRUCache({ max: options.maxKeys ?? 10_000 });
  }

  /** The breaker of `key`, made with `settings` if it has none (or one with other settings). */
  get(key: string, settings: BreakerSettings): CircuitBreaker {
    const signature = JSON.stringify([settings.failureThreshold, settings.coolDownMs, settings.windowMs, settings.failureRatio, settings.minimumCalls]);
    const held = this.breakers.get(key);
    if (held?.signature === signature) return held.breaker;
    const { onStateChange, now } = this.options;
    const breaker = new CircuitBreaker({ ...settings, now, onStateChange: onStateChange && ((change) => onStateChange(key, change)) });
    this.breakers.set(key, { signature, breaker });
    return breaker;
  }

  /** What the breaker of `key` knows, without making one (or counting as a use). */
  snapshot(key: string): BreakerSnapshot | undefined {
    return this.breakers.peek(key)?.breaker.snapshot();
  }

  /** Breakers held now. */
  get size(): number {
    return this.breakers.size;
  }
}
