/**
 * The messaging connector against a fake provider: the Idempotency-Key goes with every message
 * (the same key is one message), the tenant's template ids replace the workflow's names, and an
 * address that is not one is refused before anything is sent — with no address in the outcome.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { createMessagingConnector, type MessagePayload } from './messaging.js';
import { Transport } from './transport.js';

let remote: FakeSystems;
let mappings: MemoryMappings;
const tenant = randomUUID();
const send = (payload: MessagePayload, key = 'reminder:appt-1:sms') =>
  createMessagingConnector(new Transport({ mappings, breakers: new CircuitBreakerRegistry(), baseUrl: remote.url })).call({ tenantId: tenant, idempotencyKey: key, payload });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => {
  remote.reset();
  mappings = new MemoryMappings();
});

describe('messaging', () => {
  it('sends with the Idempotency-Key: the same key is the same message', async () => {
    const sms = { channel: 'sms' as const, to: '+15551234567', template: 'appointment_reminder', variables: { time: '09:00' } };
    const first = await send(sms);
    expect(first).toMatchObject({ kind: 'accepted', body: { messageId: 'msg-1', status: 'queued' } });
    expect(await send(sms)).toMatchObject({ body: { messageId: 'msg-1' } });
    const requests = remote.received('POST', '/messaging/messages');
    expect(requests.map((request) => request.headers['idempotency-key'])).toEqual(['reminder:appt-1:sms', 'reminder:appt-1:sms']);
    expect(requests[0]!.body).toEqual({ channel: 'sms', to: '+15551234567', template: 'appointment_reminder', variables: { time: '09:00' } });
  });

  it('sends the provider’s template id the tenant maps the workflow’s name to', async () => {
    mappings.set(tenant, 'messaging', { field_map: { templates: { appointment_reminder: 'TPL-4471' } } });
    await send({ channel: 'email', to: 'ada@example.org', template: 'appointment_reminder' }, 'reminder:appt-2:email');
    expect(remote.received('POST', '/messaging/messages')[0]!.body).toMatchObject({ channel: 'email', template: 'TPL-4471', variables: {} });
  });

  it('refuses an address that is not one before sending, and never puts the address in an outcome', async () => {
    const outcome = await send({ channel: 'sms', to: '555-PATIENT', template: 'appointment_reminder' });
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'invalid_payload', message: 'messaging: payload.to is missing or invalid' });
    expect(JSON.stringify(outcome)).not.toContain('555');
    expect(remote.requests).toHaveLength(0);
    remote.next('POST', '/messaging', { status: 400, body: { error: 'bad number +15550000000' } }, { status: 200, body: { messageId: 'm', status: 'sent' } });
    const refused = await send({ channel: 'sms', to: '+15550000000', template: 'appointment_reminder' });
    expect(refused).toMatchObject({ kind: 'rejected', code: 'bad_request' });
    expect(JSON.stringify(refused)).not.toContain('5550000000');
    expect(await send({ channel: 'sms', to: '+15550000000', template: 'appointment_reminder' })).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
  });
});
