/**
 * A consumer, against the real database: when it fails after its effect but before its commit,
 * the event is retried and the effect is there once; the event id is recorded once in
 * processed_events, in the same transaction as the effect.
 */
import { describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/support/platform.js';
import { withAdmin } from '../jobs/test-support.js';
import { publishEvent } from './outbox.js';
import { breakGlassPayload, TYPE, useEventsHarness } from './test-support.js';

const suite = useEventsHarness();

describe('a consumer', () => {
  it('that fails after its effect, before its commit, is retried and has its effect once', async () => {
    const { events, tenant } = suite;
    const context = events.context(tenant);
    const id = await events.db.withTenant(context, async (tx) => {
      const published = await publishEvent(tx, TYPE, context, breakGlassPayload());
      events.crashOnce.add(published);
      return published;
    });
    const [delivery] = await events.completedDeliveries(id, 1);
    expect(delivery!.retry_count).toBe(1);
    expect(events.deliveries.filter((delivered) => delivered === id)).toHaveLength(2);
    expect(await events.effects(id)).toBe(1);
    const { rows } = await withAdmin(adminUrl(), (client) =>
      client.query('SELECT tenant_id, event_type FROM tenancy.processed_events WHERE consumer = $1 AND event_id = $2', [events.consumer, id]),
    );
    expect(rows).toEqual([{ tenant_id: tenant, event_type: TYPE }]);
  });
});
