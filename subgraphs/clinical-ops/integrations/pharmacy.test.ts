/** The pharmacy connector against a fake pharmacy: a prescription's status, an unknown one, an answer about another. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { createPharmacyConnector } from './pharmacy.js';
import { Transport } from './transport.js';

let remote: FakeSystems;
const tenant = randomUUID();
const status = (prescriptionId: string) =>
  createPharmacyConnector(new Transport({ mappings: new MemoryMappings(), breakers: new CircuitBreakerRegistry(), baseUrl: remote.url })).call({
    tenantId: tenant,
    idempotencyKey: `rx:${prescriptionId}`,
    payload: { prescriptionId },
  });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => remote.reset());

describe('pharmacy', () => {
  it('answers where the prescription stands', async () => {
    remote.next('GET', '/pharmacy', { status: 200, body: { id: 'RX-7', status: 'picked_up', pharmacy: 'Main St' } });
    expect(await status('RX-7')).toMatchObject({ kind: 'accepted', body: { prescriptionId: 'RX-7', status: 'picked_up' } });
    expect(remote.received('GET', '/pharmacy/prescriptions/RX-7')).toHaveLength(1);
  });

  it('answers an unknown prescription as rejected not_found, and one about another as malformed_response', async () => {
    expect(await status('missing')).toMatchObject({ kind: 'rejected', code: 'not_found' });
    remote.next('GET', '/pharmacy', { status: 200, body: { id: 'RX-8', status: 'ready' } }, { status: 503 });
    expect(await status('RX-7')).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
    expect(await status('RX-7')).toMatchObject({ kind: 'retryable', reason: 'server_error' });
  });
});
