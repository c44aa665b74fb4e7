/**
 * Outcome counting against the real database: calls are counted per tenant, connector and minute
 * in memory, one flush writes one `clinical-ops.integration.outcomes` event per tenant into its
 * outbox (no event per call), and a flush that cannot write keeps its counts for the next one
 * without ever failing the one who recorded them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../../lib/db/index.js';
import { parsePayload } from '../../../lib/events/catalog.js';
import { TEST_APP_PASSWORD } from '../../../test/support/env.js';
import { adminQuery, adminUrl, bindingKey, dropScratchTenants, scratchTenant } from '../../../test/support/platform.js';
import type { ConnectorOutcome } from './contract.js';
import { latencyBucket, OutcomeRecorder } from './telemetry.js';

let db: Database;
const scratch: string[] = [];

const accepted = (latencyMs: number): ConnectorOutcome<unknown> => ({ kind: 'accepted', body: {}, latencyMs });
const retryable = (reason: 'timeout' | 'server_error', latencyMs: number): ConnectorOutcome<unknown> => ({ kind: 'retryable', reason, message: 'x', latencyMs });
const rejected: ConnectorOutcome<unknown> = { kind: 'rejected', code: 'not_found', message: 'x', latencyMs: 3 };

const eventsOf = (tenantId: string) =>
  adminQuery<{ payload: unknown; type: string }>(`SELECT type, payload FROM clinical_ops.outbox WHERE tenant_id = $1 AND type = 'clinical-ops.integration.outcomes' ORDER BY occurred_at`, [tenantId]);

beforeAll(async () => {
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  scratch.push(await scratchTenant('Telemetry Clinic A'), await scratchTenant('Telemetry Clinic B'));
});
afterAll(async () => {
  await db.close();
  await dropScratchTenants(scratch);
});

describe('integration outcome counts', () => {
  it('go out as one event per tenant per flush, counted per connector and minute', async () => {
    const [a, b] = scratch as [string, string];
    let now = Date.parse('2024-03-07T10:15:30Z');
    const recorder = new OutcomeRecorder({ db, now: () => now });
    recorder.record(a, 'payer_claims', accepted(40));
    recorder.record(a, 'payer_claims', retryable('timeout', 5_000));
    recorder.record(a, 'payer_claims', rejected);
    recorder.record(a, 'ehr', accepted(12));
    recorder.record(b, 'payer_claims', retryable('server_error', 80));
    now += 60_000;
    recorder.record(a, 'payer_claims', accepted(300));
    expect(recorder.pendingEntries).toBe(4);
    await recorder.flush();
    expect(recorder.pendingEntries).toBe(0);

    const [event, ...more] = await eventsOf(a);
    expect(more).toEqual([]);
    const counts = parsePayload('clinical-ops.integration.outcomes', event!.payload).counts;
    const claims = counts.find((count) => count.connector === 'payer_claims' && count.minute === '2024-03-07T10:15:00.000Z')!;
    expect(claims).toMatchObject({ accepted: 1, rejected: 1, retryable: 1, latencyMsSum: 5_043, retryableByReason: { timeout: 1, server_error: 0 } });
    expect(claims.latencyBuckets[latencyBucket(40)]).toBe(1);
    expect(claims.latencyBuckets[latencyBucket(5_000)]).toBe(1);
    expect(counts.find((count) => count.connector === 'payer_claims' && count.minute === '2024-03-07T10:16:00.000Z')).toMatchObject({ accepted: 1, latencyMsSum: 300 });
    expect(counts.find((count) => count.connector === 'ehr')).toMatchObject({ accepted: 1 });
    expect(counts).toHaveLength(3);
    const [other] = await eventsOf(b);
    expect(parsePayload('clinical-ops.integration.outcomes', other!.payload).counts).toMatchObject([{ connector: 'payer_claims', retryable: 1, retryableByReason: { server_error: 1 } }]);

    // Nothing counted, nothing published.
    await recorder.flush();
    expect(await eventsOf(a)).toHaveLength(1);
  });

  it('keeps what a flush could not write, and never fails a call that records', async () => {
    const [a] = scratch as [string];
    const down = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD).replace(/:\d+\//, ':1/'), schema: 'clinical_ops', poolSize: 1, bindingKey: bindingKey() });
    const recorder = new OutcomeRecorder({ db: down });
    expect(() => recorder.record(a, 'pharmacy', accepted(5))).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(recorder.pendingEntries).toBe(1);
    recorder.record(a, 'pharmacy', accepted(7));
    expect(recorder.pendingEntries).toBe(1);
    await down.close();
  });

  it('puts latencies in the catalogue’s buckets, the slowest past the last bound', () => {
    expect([latencyBucket(0), latencyBucket(10), latencyBucket(11), latencyBucket(30_000), latencyBucket(30_001)]).toEqual([0, 0, 1, 10, 11]);
  });
});
