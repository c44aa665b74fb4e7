import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { BadUserInputError } from '../lib/errors.js';
import { configuredKnobs, DEFAULT_HANG_MS, faultOf, patchKnobs } from './knobs.js';
import { SYSTEMS } from './system.js';

const config = loadConfig({ SIMULATORS_LATENCY_MS: '15', SIMULATORS_FAILURE_RATE: '0.25' });
const refusal = (body: unknown) => {
  try {
    patchKnobs(configuredKnobs(config), body);
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('the knobs', () => {
  it('start from the configuration, the same for every system, frozen', () => {
    const knobs = configuredKnobs(config);
    expect(Object.keys(knobs)).toEqual([...SYSTEMS]);
    for (const system of SYSTEMS) expect(knobs[system]).toEqual({ latencyMs: 15, failureRate: 0.25, timeoutRate: 0, malformedRate: 0, hangMs: DEFAULT_HANG_MS });
    expect(Object.isFrozen(knobs) && Object.isFrozen(knobs.ehr)).toBe(true);
    expect(configuredKnobs(loadConfig({})).payer_claims).toMatchObject({ latencyMs: 0, failureRate: 0 });
  });

  it('change only the systems and knobs a patch names', () => {
    const before = configuredKnobs(config);
    const after = patchKnobs(before, { payer_claims: { failureRate: 0.5, hangMs: 200 }, ehr: {} });
    expect(after.payer_claims).toEqual({ ...before.payer_claims, failureRate: 0.5, hangMs: 200 });
    expect(after.ehr).toEqual(before.ehr);
    expect(after.messaging).toEqual(before.messaging);
    expect(before.payer_claims.failureRate).toBe(0.25);
  });

  it('refuse a bad patch naming the field, and change nothing', () => {
    expect(refusal({ payer_claims: { failureRate: 1.5 } })).toMatch(/payer_claims\.failureRate: Too big/);
    expect(refusal({ ehr: { latencyMs: -1 } })).toMatch(/ehr\.latencyMs: Too small/);
    expect(refusal({ ehr: { latencyMs: 1.5 } })).toMatch(/ehr\.latencyMs: .*expected int/);
    expect(refusal({ pharmacy: { timeoutRate: '0.1' } })).toMatch(/pharmacy\.timeoutRate: .*expected number/);
    expect(refusal({ payer: { failureRate: 0.1 } })).toMatch(/payer: .*systems: payer_eligibility, payer_claims, ehr, pharmacy, messaging/);
    expect(refusal({ messaging: { failurerate: 0.1 } })).toMatch(/messaging\.failurerate: not expected here/);
    expect(refusal([])).toMatch(/\(body\): .*expected record/);
    expect(refusal({ payer_claims: { failureRate: 0.5, timeoutRate: 0.3, malformedRate: 0.3 } })).toMatch(/payer_claims: failureRate \+ timeoutRate \+ malformedRate must not exceed 1/);
    expect(patchKnobs(configuredKnobs(loadConfig({})), { ehr: { failureRate: 0.1, timeoutRate: 0.2, malformedRate: 0.7 } }).ehr.malformedRate).toBe(0.7);
    // The sum is checked on the knobs as they would be: config's 0.25 failure plus 0.8 timeout.
    expect(refusal({ ehr: { timeoutRate: 0.8 } })).toMatch(/^Invalid knobs: ehr: /);
  });

  it('turn one draw into a fault: consecutive slices, failure then timeout then malformed', () => {
    const knobs = { latencyMs: 0, failureRate: 0.1, timeoutRate: 0.2, malformedRate: 0.3, hangMs: 0 };
    expect([0, 0.099, 0.1, 0.299, 0.301, 0.599, 0.601, 0.999].map((draw) => faultOf(knobs, draw))).toEqual([
      'failure', 'failure', 'timeout', 'timeout', 'malformed', 'malformed', undefined, undefined,
    ]);
    expect(faultOf({ ...knobs, failureRate: 0, timeoutRate: 0, malformedRate: 0 }, 0)).toBeUndefined();
    expect(faultOf({ ...knobs, failureRate: 1, timeoutRate: 0, malformedRate: 0 }, 0.9999)).toBe('failure');
  });
});
