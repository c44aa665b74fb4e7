/**
 * The relay, against the real database: a row relayed a second time is delivered again and
 * changes nothing (consumers are idempotent by event id), and a row that no longer matches the
 * catalogue is set aside with its error while the rows behind it still go.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/support/platform.js';
import { jobsOf, withAdmin } from '../jobs/test-support.js';
import { TYPE, useEventsHarness } from './test-support.js';

const suite = useEventsHarness();

describe('the relay', () => {
  it('publishing a row a second time delivers it again, and the second delivery changes nothing', async () => {
    const { events, tenant } = suite;
    const id = await events.publish(tenant);
    await events.completedDeliveries(id, 1);
    await withAdmin(adminUrl(), (client) => client.query('UPDATE clinical_ops.outbox SET relayed_at = NULL WHERE id = $1', [id]));
    await events.completedDeliveries(id, 2);
    expect(events.deliveries.filter((delivered) => delivered === id)).toHaveLength(1);
    expect(await events.effects(id)).toBe(1);
  });

  it('sets aside a row that no longer matches the catalogue, with its error, and relays the rows behind it', async () => {
    const { events, tenant } = suite;
    const stale = randomUUID();
    await withAdmin(adminUrl(), (client) =>
      client.query(
        `INSERT INTO clinical_ops.outbox (id, tenant_id, type, version, actor, payload) VALUES ($1, $2, $3, 1, $4, '{"grantId": "not-a-uuid"}')`,
        [stale, tenant, TYPE, JSON.stringify({ principalId: 'user:1', principalKind: 'user', requestId: 'req-1', correlationId: null })],
      ),
    );
    const behind = await events.publish(tenant);
    await events.completedDeliveries(behind, 1);
    const { rows } = await withAdmin(adminUrl(), (client) => client.query('SELECT relayed_at, relay_error FROM clinical_ops.outbox WHERE id = $1', [stale]));
    expect(rows[0]).toEqual({ relayed_at: expect.any(Date), relay_error: expect.stringMatching(/grantId/) });
    expect(await jobsOf(adminUrl(), events.queue, stale)).toEqual([]);
  });
});
