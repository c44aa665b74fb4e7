/**
 * Queue declarations: defaults filled in, names and numbers pg-boss would refuse caught early, and
 * a job's group and priority taken from its tenant's tier. (What the queues do with jobs:
 * queues.int.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { defineQueue, deadLetterOf, fairShare, groupConcurrency, tierOf } from './queues.js';

describe('queues', () => {
  it('fill in retry, expiry and concurrency defaults, and name their dead-letter queue', () => {
    const queue = defineQueue({ name: 'clinical-ops.claims', retryLimit: 3, concurrency: { perTenant: { critical: 8 } } });
    expect(queue).toMatchObject({ retryLimit: 3, retryDelaySeconds: 5, retryDelayMaxSeconds: 300, expireInSeconds: 300, events: [] });
    expect(groupConcurrency(queue)).toEqual({ default: 1, tiers: { standard: 1, enhanced: 2, critical: 8 } });
    expect(deadLetterOf(queue.name)).toBe('clinical-ops.claims.dead');
  });

  it.each(['Claims', 'claims', 'clinical-ops.claims.dead', 'clinical ops.claims'])('refuse the name %s', (name) => {
    expect(() => defineQueue({ name })).toThrow(/must be <service>\.<purpose>/);
  });

  it('refuse a concurrency below one', () => {
    expect(() => defineQueue({ name: 'a.b', concurrency: { perWorker: 0 } })).toThrow(/at least 1/);
  });

  it('put a job in its tenant’s group, critical before enhanced before standard', () => {
    const [critical, enhanced, standard] = (['critical', 'enhanced', 'standard'] as const).map((tier) => fairShare('t-1', tier));
    expect(critical!.priority).toBeGreaterThan(enhanced!.priority);
    expect(enhanced!.priority).toBeGreaterThan(standard!.priority);
    expect(standard!.group).toEqual({ id: 't-1', tier: 'standard' });
    expect(fairShare(null, 'standard').group.id).toBe('platform');
    expect([tierOf({ tier: 'enhanced' }), tierOf({ tier: 'gold' }), tierOf(null)]).toEqual(['enhanced', 'standard', 'standard']);
  });
});
