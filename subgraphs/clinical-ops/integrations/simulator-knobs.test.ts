/** The simulators' knobs are checked before anything is sent: each out-of-range value names its argument. */
import { describe, expect, it } from 'vitest';
import { type CareGraphError } from '../../../lib/errors.js';
import { parseKnobs } from './simulator-knobs.js';

describe('parseKnobs', () => {
  it('keeps exactly the knobs given', () => {
    expect(parseKnobs({ system: 'EHR', latencyMs: 0, failureRate: 1, timeoutRate: null })).toEqual({ latencyMs: 0, failureRate: 1 });
  });

  it.each([
    [{ latencyMs: 60_001 }, 'latencyMs'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ failureRate: -0.01 }, 'failureRate'],
    [{ timeoutRate: 2 }, 'timeoutRate'],
    [{ malformedRate: Number.NaN }, 'malformedRate'],
    [{}, 'latencyMs'],
  ])('refuses %j naming %s', (knobs, argument) => {
    try {
      parseKnobs({ system: 'EHR', ...knobs });
      expect.unreachable();
    } catch (error) {
      expect((error as CareGraphError).code).toBe('BAD_USER_INPUT');
      expect((error as CareGraphError).extensions.argument).toBe(argument);
    }
  });
});
