import { describe, expect, it } from 'vitest';
import { backoffMs, decide, retryPolicySchema, type RetryPolicy } from './retry-governance.js';

const policy: RetryPolicy = {
  workflow: 'claims',
  maxAttempts: 4,
  backoffBaseMs: 1_000,
  backoffMaxMs: 5_000,
  jitter: 0.5,
  retryOn: ['timeout', 'server_error', 'unreachable', 'circuit_open'],
};

describe('backoffMs', () => {
  it('doubles from the base up to the ceiling, jitter taking up to its share off', () => {
    const none = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffMs(none, retry))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    // random() = 0 keeps the whole delay; random() → 1 takes `jitter` of it off.
    expect(backoffMs(policy, 3, () => 0)).toBe(4_000);
    expect(backoffMs(policy, 3, () => 0.999999)).toBe(2_000);
    expect(backoffMs(policy, 2, () => 0.5)).toBe(1_500);
  });
});

describe('decide', () => {
  const half = () => 0.5;
  it('completes an accepted attempt and fails a rejected one for good, whatever attempts remain', () => {
    expect(decide(policy, 1, { kind: 'accepted' })).toEqual({ action: 'complete' });
    expect(decide(policy, 1, { kind: 'rejected' })).toEqual({ action: 'fail' });
    expect(decide(policy, 4, { kind: 'rejected' })).toEqual({ action: 'fail' });
  });

  it('retries what the policy retries while attempts remain, then dead-letters', () => {
    expect(decide(policy, 1, { kind: 'retryable', reason: 'timeout' }, half)).toEqual({ action: 'retry', attempt: 2, delayMs: 750 });
    expect(decide(policy, 3, { kind: 'retryable', reason: 'server_error' }, half)).toEqual({ action: 'retry', attempt: 4, delayMs: 3_000 });
    expect(decide(policy, 4, { kind: 'retryable', reason: 'server_error' }, half)).toEqual({ action: 'dead_letter', reason: 'attempts_exhausted' });
  });

  it('dead-letters at once a reason the policy does not retry', () => {
    expect(decide(policy, 1, { kind: 'retryable', reason: 'malformed_response' })).toEqual({ action: 'dead_letter', reason: 'not_retried' });
  });
});

describe('retryPolicySchema', () => {
  it('refuses a policy no worker could follow', () => {
    expect(retryPolicySchema.safeParse(policy).success).toBe(true);
    expect(retryPolicySchema.safeParse({ ...policy, maxAttempts: 0 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ ...policy, backoffMaxMs: 10 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ ...policy, jitter: 2 }).success).toBe(false);
    expect(retryPolicySchema.safeParse({ ...policy, retryOn: ['sometimes'] }).success).toBe(false);
  });
});
