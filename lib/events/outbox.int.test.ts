/**
 * The transactional outbox, against the real database with clinical-ops' relay and a consumer
 * running: an event written in a transaction that rolls back is never delivered; a committed one
 * is relayed, marked relayed and delivered once. (Redelivery: consumer.int.test.ts and
 * relay.int.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/support/platform.js';
import { jobsOf, withAdmin } from '../jobs/test-support.js';
import { publishEvent } from './outbox.js';
import { breakGlassPayload, TYPE, useEventsHarness } from './test-support.js';

const suite = useEventsHarness();

describe('an event', () => {
  it('written in a transaction that rolls back is never delivered; a committed one is delivered once', async () => {
    const { events, tenant } = suite;
    const context = events.context(tenant);
    let rolledBack = '';
    await expect(
      events.db.withTenant(context, async (tx) => {
        rolledBack = await publishEvent(tx, TYPE, context, breakGlassPayload());
        throw new Error('the declaration failed');
      }),
    ).rejects.toThrow('the declaration failed');
    const committed = await events.publish(tenant);
    const [delivery] = await events.completedDeliveries(committed, 1);
    expect(delivery).toMatchObject({ retry_count: 0 });
    expect(events.deliveries.filter((id) => id === committed)).toHaveLength(1);
    expect(await events.effects(committed)).toBe(1);
    expect(events.deliveries).not.toContain(rolledBack);
    expect(await jobsOf(adminUrl(), events.queue, rolledBack)).toEqual([]);
    const outbox = await withAdmin(adminUrl(), (client) => client.query('SELECT id, relayed_at FROM clinical_ops.outbox WHERE id = ANY($1)', [[rolledBack, committed]]));
    expect(outbox.rows).toEqual([{ id: committed, relayed_at: expect.any(Date) }]);
  });

  it('is refused by publishEvent outside one tenant, or off its schema', async () => {
    const { events, tenant } = suite;
    const platform = { ...events.context(tenant), access: 'platform' as const, tenantId: null };
    await expect(events.db.withTenant(platform, (tx) => publishEvent(tx, TYPE, platform, breakGlassPayload()))).rejects.toThrow(/belong to one tenant/);
    const context = events.context(tenant);
    const offSchema = { ...breakGlassPayload(), patientIds: ['not allowed'] };
    await expect(events.db.withTenant(context, (tx) => publishEvent(tx, TYPE, context, offSchema))).rejects.toThrow(/patientIds/);
  });
});
