/**
 * The control plane's side of the workload plane (docs/workloads.md): a platform admin's replay
 * of a tenant's dead-lettered workflow runs enters the tenant's audit chain, as the admin's act.
 */
import { consumerContext, defineConsumer } from '../../lib/events/consumer.js';
import type { QueueDeclaration } from '../../lib/jobs/queues.js';
import { appendAudit } from './audit.js';

export function workloadConsumers(queue: QueueDeclaration) {
  const replayAudit = defineConsumer({
    name: 'dead-letter-replay-audit',
    queue,
    type: 'clinical-ops.dead-letters.replayed',
    async handle(event, tx, tools) {
      const [tenant] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [event.tenantId]);
      const { workflow, replayed, errorCode, deadLetteredAfter, deadLetteredBefore } = event.payload;
      await appendAudit(
        tx,
        tools.deriveKey('audit'),
        { ...consumerContext('tenancy', event), principal: { id: event.actor.principalId, kind: event.actor.principalKind } },
        {
          owner: { tenantId: event.tenantId, partnerId: tenant?.partner_id ?? null },
          action: 'workflow.dead_letters_replayed',
          target: `workflow:${workflow}`,
          detail: { replayed, errorCode, deadLetteredAfter, deadLetteredBefore },
        },
      );
    },
  });
  return [replayAudit];
}
