/**
 * The EHR connector against a fake FHIR server: reads by type and id, creates with the
 * Idempotency-Key (a Location-only answer is read too), and an answer about another resource,
 * or a 404, is its outcome.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { createEhrConnector, type EhrRequest } from './ehr.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { Transport } from './transport.js';

let remote: FakeSystems;
const tenant = randomUUID();
const ehr = (payload: EhrRequest, key = 'ehr:1') =>
  createEhrConnector(new Transport({ mappings: new MemoryMappings(), breakers: new CircuitBreakerRegistry(), baseUrl: remote.url })).call({ tenantId: tenant, idempotencyKey: key, payload });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => remote.reset());

describe('ehr', () => {
  it('reads a resource by type and id, passing it on whole', async () => {
    expect(await ehr({ action: 'read', resourceType: 'Coverage', id: 'cov-9' })).toMatchObject({
      kind: 'accepted',
      body: { resourceType: 'Coverage', id: 'cov-9', meta: { versionId: '1' } },
    });
    expect(remote.received('GET', '/ehr/fhir/Coverage/cov-9')).toHaveLength(1);
  });

  it('answers a 404 as rejected not_found, and another resource than asked for as malformed_response', async () => {
    expect(await ehr({ action: 'read', resourceType: 'Patient', id: 'missing' })).toMatchObject({ kind: 'rejected', code: 'not_found' });
    remote.next('GET', '/ehr', { status: 200, body: { resourceType: 'Patient', id: 'someone-else' } }, { status: 200, body: { resourceType: 'Appointment', id: 'p-1' } });
    expect(await ehr({ action: 'read', resourceType: 'Patient', id: 'p-1' })).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
    expect(await ehr({ action: 'read', resourceType: 'Patient', id: 'p-1' })).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
  });

  it('creates with the Idempotency-Key (the same key gives the same resource), not sending an id of its own', async () => {
    const resource = { resourceType: 'Appointment' as const, id: 'ours', status: 'booked', start: '2024-03-07T09:00:00Z' };
    const first = await ehr({ action: 'create', resource }, 'appointment:77:create');
    expect(first).toMatchObject({ kind: 'accepted', body: { resourceType: 'Appointment', id: 'ehr-1', status: 'booked' } });
    const [request] = remote.received('POST', '/ehr/fhir/Appointment');
    expect(request!.headers).toMatchObject({ 'idempotency-key': 'appointment:77:create', prefer: 'return=representation' });
    expect(request!.body).toEqual({ resourceType: 'Appointment', status: 'booked', start: '2024-03-07T09:00:00Z' });
    expect(await ehr({ action: 'create', resource }, 'appointment:77:create')).toMatchObject({ body: { id: 'ehr-1' } });
  });

  it('reads the id of a create answered with its Location only', async () => {
    remote.next('POST', '/ehr', { status: 201, headers: { location: `${'http://ehr.example'}/fhir/Patient/p-44/_history/1` } });
    expect(await ehr({ action: 'create', resource: { resourceType: 'Patient', active: true } })).toMatchObject({
      kind: 'accepted',
      body: { resourceType: 'Patient', id: 'p-44', active: true },
    });
  });

  it('refuses a type it does not serve, without calling', async () => {
    expect(await ehr({ action: 'read', resourceType: 'Observation' as 'Patient', id: 'o-1' })).toMatchObject({ kind: 'rejected', code: 'invalid_payload' });
    expect(remote.requests).toHaveLength(0);
  });
});
