import { describe, expect, it } from 'vitest';
import { groupConcurrency } from '../../../lib/jobs/queues.js';
import { DEDICATED_CAPACITY, queueFor, WORKFLOW_QUEUES, WORKFLOWS } from './queues.js';

describe('workflow queues', () => {
  it('give each workflow a queue of its own, shared and dedicated', () => {
    const names = WORKFLOWS.flatMap((workflow) => [WORKFLOW_QUEUES[workflow].shared.name, WORKFLOW_QUEUES[workflow].dedicated.name]);
    expect(new Set(names).size).toBe(8);
    expect(WORKFLOW_QUEUES.claims.shared.name).toBe('clinical-ops.claims');
    expect(WORKFLOW_QUEUES.claims.dedicated.name).toBe('clinical-ops.claims.dedicated');
  });

  it('route a tenant entitled to dedicated capacity to its dedicated queue, any other to the shared one', () => {
    expect(queueFor('eligibility_checks', { entitlements: [DEDICATED_CAPACITY, 'eligibility_checks'] })).toBe(WORKFLOW_QUEUES.eligibility_checks.dedicated);
    expect(queueFor('eligibility_checks', { entitlements: ['eligibility_checks'] })).toBe(WORKFLOW_QUEUES.eligibility_checks.shared);
  });

  it('hold each tenant of the shared queues to its tier’s share across workers', () => {
    expect(groupConcurrency(WORKFLOW_QUEUES.claims.shared)).toEqual({ default: 1, tiers: { standard: 1, enhanced: 2, critical: 4 } });
    // A worker has more slots than any one tenant may take: the others keep moving.
    expect(WORKFLOW_QUEUES.claims.shared.concurrency.perWorker).toBeGreaterThan(WORKFLOW_QUEUES.claims.shared.concurrency.perTenant.critical);
  });
});
