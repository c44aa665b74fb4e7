import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitBreakerRegistry, CircuitOpenError, type BreakerState, type CircuitBreakerOptions } from './circuit-breaker.js';

/** A breaker on a clock the test moves, recording its changes of state. */
function breaker(failureThreshold = 3, coolDownMs = 1_000) {
  const clock = { now: 10_000 };
  const changes: string[] = [];
  const subject = new CircuitBreaker({
    failureThreshold,
    coolDownMs,
    now: () => clock.now,
    onStateChange: ({ from, to }) => changes.push(`${from}->${to}`),
  });
  return { subject, clock, changes };
}

const ok = () => Promise.resolve('answer');
const down = () => Promise.reject(new Error('connect ECONNREFUSED'));

/** Runs a call and says how it ended: 'ok', 'failed' (work ran and failed) or 'refused' (work never ran). */
async function attempt(subject: CircuitBreaker, work: () => Promise<string> = ok): Promise<'ok' | 'failed' | 'refused'> {
  let ran = false;
  try {
    await subject.run(() => {
      ran = true;
      return work();
    });
    return 'ok';
  } catch (error) {
    if (error instanceof CircuitOpenError) {
      expect(ran).toBe(false);
      return 'refused';
    }
    return 'failed';
  }
}

/** A call that stays in flight until the test settles it. */
function pending() {
  let settle: { resolve: (value: string) => void; reject: (error: Error) => void } = { resolve: () => {}, reject: () => {} };
  const promise = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  return { work: () => promise, ...settle };
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold, and a success resets the count of failures in a row', async () => {
    const { subject } = breaker(3);
    expect(await attempt(subject, down)).toBe('failed');
    expect(await attempt(subject, down)).toBe('failed');
    expect(await attempt(subject)).toBe('ok');
    expect(await attempt(subject, down)).toBe('failed');
    expect(await attempt(subject, down)).toBe('failed');
    expect(subject.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('opens after the threshold of failures in a row and then fails fast without calling', async () => {
    const { subject, changes, clock } = breaker(3);
    for (let i = 0; i < 3; i += 1) expect(await attempt(subject, down)).toBe('failed');
    expect(subject.state).toBe('open');
    expect(subject.snapshot()).toEqual({ state: 'open', consecutiveFailures: 3, windowCalls: 0, windowFailures: 0, lastFailureAt: clock.now, openedAt: clock.now });
    for (let i = 0; i < 10; i += 1) expect(await attempt(subject)).toBe('refused');
    expect(changes).toEqual(['closed->open']);
  });

  it('refuses until the cool-down has passed, then lets one trial through; its success closes the circuit', async () => {
    const { subject, clock, changes } = breaker(1, 1_000);
    await attempt(subject, down);
    clock.now += 999;
    expect(await attempt(subject)).toBe('refused');
    clock.now += 1;
    expect(subject.state).toBe('half-open');
    expect(await attempt(subject)).toBe('ok');
    expect(subject.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null });
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(await attempt(subject)).toBe('ok');
  });

  it('lets exactly one trial through while half-open: the others are refused until it settles', async () => {
    const { subject, clock } = breaker(1, 1_000);
    await attempt(subject, down);
    clock.now += 1_000;
    const trial = pending();
    const trialCall = attempt(subject, trial.work);
    const others = await Promise.all([attempt(subject), attempt(subject), attempt(subject)]);
    expect(others).toEqual(['refused', 'refused', 'refused']);
    trial.resolve('back');
    expect(await trialCall).toBe('ok');
    expect(await Promise.all([attempt(subject), attempt(subject)])).toEqual(['ok', 'ok']);
  });

  it('opens again for a whole new cool-down when the trial fails', async () => {
    const { subject, clock, changes } = breaker(2, 1_000);
    await attempt(subject, down);
    await attempt(subject, down);
    clock.now += 1_500;
    expect(await attempt(subject, down)).toBe('failed');
    expect(subject.snapshot()).toMatchObject({ state: 'open', openedAt: clock.now, lastFailureAt: clock.now });
    clock.now += 999;
    expect(await attempt(subject)).toBe('refused');
    clock.now += 1;
    expect(await attempt(subject)).toBe('ok');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });

  it('does not count an ignored failure: closed it leaves the count alone, half-open it frees the trial', async () => {
    const { subject, clock } = breaker(2, 1_000);
    const ignored = () => 'ignored' as const;
    await expect(subject.run(down, ignored)).rejects.toThrow('ECONNREFUSED');
    await expect(subject.run(down, ignored)).rejects.toThrow('ECONNREFUSED');
    expect(subject.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });

    await attempt(subject, down);
    await attempt(subject, down);
    clock.now += 1_000;
    await expect(subject.run(down, ignored)).rejects.toThrow('ECONNREFUSED');
    expect(subject.state).toBe('half-open');
    expect(await attempt(subject)).toBe('ok');
    expect(subject.state).toBe('closed');
  });

  it('takes no news from calls admitted before the circuit opened: a late failure neither extends the cool-down nor spoils the trial', async () => {
    const { subject, clock } = breaker(2, 1_000);
    const slow = pending();
    const slowCall = attempt(subject, slow.work);
    await attempt(subject, down);
    await attempt(subject, down);
    const openedAt = clock.now;
    clock.now += 1_000;
    const trial = pending();
    const trialCall = attempt(subject, trial.work);
    slow.reject(new Error('timed out'));
    expect(await slowCall).toBe('failed');
    expect(subject.snapshot()).toMatchObject({ state: 'half-open', openedAt });
    trial.resolve('back');
    expect(await trialCall).toBe('ok');
    expect(subject.state satisfies BreakerState).toBe('closed');
  });

  it('refuses a threshold below one', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1_000 })).toThrow(RangeError);
  });
});

/** A breaker counting in a rolling window, on a clock the test moves. */
function windowed(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = { now: 1_000_000 };
  const changes: string[] = [];
  const subject = new CircuitBreaker({
    failureThreshold: 3,
    coolDownMs: 1_000,
    windowMs: 10_000,
    now: () => clock.now,
    onStateChange: ({ from, to }) => changes.push(`${from}->${to}`),
    ...options,
  });
  return { subject, clock, changes };
}

describe('CircuitBreaker in a rolling window', () => {
  it('opens on the threshold of failures within the window, whatever succeeded in between', async () => {
    const { subject, changes } = windowed();
    for (const work of [down, ok, down, ok, ok]) await attempt(subject, work);
    expect(subject.snapshot()).toMatchObject({ state: 'closed', windowCalls: 5, windowFailures: 2 });
    expect(await attempt(subject, down)).toBe('failed');
    expect(subject.state).toBe('open');
    expect(await attempt(subject)).toBe('refused');
    expect(changes).toEqual(['closed->open']);
  });

  it('forgets failures older than the window', async () => {
    const { subject, clock } = windowed();
    await attempt(subject, down);
    await attempt(subject, down);
    clock.now += 10_000;
    expect(subject.snapshot()).toMatchObject({ windowFailures: 0 });
    await attempt(subject, down);
    await attempt(subject, down);
    expect(subject.state).toBe('closed');
    // Nine tenths of a window later the two recent ones still count.
    clock.now += 8_999;
    expect(await attempt(subject, down)).toBe('failed');
    expect(subject.state).toBe('open');
  });

  it('opens on the failure ratio once the window holds the minimum of calls', async () => {
    const { subject } = windowed({ failureThreshold: 100, failureRatio: 0.5, minimumCalls: 6 });
    // 2 of 4 failed: the ratio is reached, but too few calls to judge.
    for (const work of [down, ok, down, ok]) await attempt(subject, work);
    expect(subject.state).toBe('closed');
    await attempt(subject, ok);
    expect(subject.snapshot()).toMatchObject({ state: 'closed', windowCalls: 5, windowFailures: 2 });
    // 3 of 6: half failed.
    expect(await attempt(subject, down)).toBe('failed');
    expect(subject.state).toBe('open');
  });

  it('starts a closed circuit with an empty window after the trial succeeds', async () => {
    const { subject, clock, changes } = windowed({ failureThreshold: 2 });
    await attempt(subject, down);
    await attempt(subject, down);
    clock.now += 1_000;
    expect(await attempt(subject)).toBe('ok');
    expect(subject.snapshot()).toMatchObject({ state: 'closed', windowCalls: 0, windowFailures: 0 });
    // One failure more is not two.
    await attempt(subject, down);
    expect(subject.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1, failureRatio: 0.5 })).toThrow(/needs windowMs/);
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1, windowMs: 1_000, failureRatio: 1.5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1, windowMs: 5 })).toThrow(RangeError);
  });
});

describe('CircuitBreakerRegistry', () => {
  const settings = { failureThreshold: 2, coolDownMs: 1_000, windowMs: 10_000 };

  it('keeps one breaker per key: one key opening leaves the others closed', async () => {
    const opened: string[] = [];
    const registry = new CircuitBreakerRegistry({ onStateChange: (key, { to }) => to === 'open' && opened.push(key) });
    const a = registry.get('payer_claims:tenant-a', settings);
    await attempt(a, down);
    await attempt(a, down);
    expect(registry.get('payer_claims:tenant-a', settings)).toBe(a);
    expect(a.state).toBe('open');
    expect(await attempt(registry.get('payer_claims:tenant-b', settings))).toBe('ok');
    expect(registry.snapshot('payer_claims:tenant-b')).toMatchObject({ state: 'closed' });
    expect(opened).toEqual(['payer_claims:tenant-a']);
  });

  it('gives a key whose settings changed a fresh breaker with the new ones', async () => {
    const registry = new CircuitBreakerRegistry();
    const before = registry.get('ehr:t', settings);
    await attempt(before, down);
    await attempt(before, down);
    const after = registry.get('ehr:t', { ...settings, failureThreshold: 5 });
    expect(after).not.toBe(before);
    expect(after.state).toBe('closed');
  });

  it('holds at most maxKeys breakers, dropping the least recently used', () => {
    const registry = new CircuitBreakerRegistry({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c']) registry.get(key, settings);
    registry.get('a', settings);
    registry.get('d', settings);
    expect(registry.size).toBe(3);
    expect(registry.snapshot('b')).toBeUndefined();
    expect(registry.snapshot('a')).toBeDefined();
  });
});
