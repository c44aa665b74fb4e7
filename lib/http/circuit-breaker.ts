/**
 * A circuit breaker for the calls to one dependency (the gateway keeps one per subgraph).
 *
 * - closed: calls go through; `failureThreshold` failures in a row open it (a success resets
 *   the count). Counting in a row rather than in a time window keeps the state a few numbers
 *   and makes the trip point exact: a dependency that answers at all keeps the circuit closed.
 * - open: calls are refused at once with `CircuitOpenError`, without touching the network, so
 *   a dead dependency costs a request nothing, not a timeout each.
 * - half-open, once `coolDownMs` have passed: one call, the trial, goes through while the
 *   others are still refused; its success closes the circuit, its failure opens it again for
 *   another cool-down. A short cool-down (about a second) means a recovered dependency is used
 *   again within about a second of coming back, at the cost of one trial call per cool-down
 *   while it stays down.
 *
 * Only the outcome of a call admitted in the current state moves it: a call that was admitted
 * while closed and fails after the circuit opened (a slow one, timing out late) is stale news
 * and neither extends the cool-down nor spoils the trial.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

/** How a failed call counts: a `failure` of the dependency, or `ignored` (the caller gave up, say). */
export type FailureKind = 'failure' | 'ignored';

export interface CircuitBreakerOptions {
  /** Failures in a row that open a closed circuit (≥ 1). */
  failureThreshold: number;
  /** How long an open circuit refuses every call before it lets one trial through. */
  coolDownMs: number;
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

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new RangeError('failureThreshold must be an integer ≥ 1');
    if (!(options.coolDownMs >= 0)) throw new RangeError('coolDownMs must be ≥ 0');
    this.now = options.now ?? Date.now;
  }

  /** The state a call arriving now would meet: an open circuit past its cool-down reads half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.coolDownMs) return 'half-open';
    return this.current;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.failures,
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
      this.move('closed');
    } else if (this.current === 'closed') {
      this.failures = 0;
    }
  }

  private failed(trial: boolean, error: unknown): void {
    if (trial) {
      this.trialOut = false;
      this.lastFailureAt = this.now();
      this.open(error);
    } else if (this.current === 'closed') {
      this.lastFailureAt = this.now();
      this.failures += 1;
      if (this.failures >= this.options.failureThreshold) this.open(error);
    }
  }

  private open(error: unknown): void {
    this.openedAt = this.now();
    this.move('open', error);
  }

  private move(to: BreakerState, error?: unknown): void {
    const from = this.current;
    this.current = to;
    if (from !== to) this.options.onStateChange?.({ from, to, ...(error === undefined ? {} : { error }) });
  }
}
