import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from './circuit-breaker.js';

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
    expect(subject.snapshot()).toEqual({ state: 'open', consecutiveFailures: 3, lastFailureAt: clock.now, openedAt: clock.now });
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
