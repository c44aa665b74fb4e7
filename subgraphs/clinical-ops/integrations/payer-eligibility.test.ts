/**
 * Payer eligibility against a fake payer: the 270 is built from the system-neutral payload with
 * the tenant's mapping (payer id, provider identifier, service types), the 271 is read into
 * coverage, plan, co-payment and deductible left in minor units, and every other answer becomes
 * its outcome without a throw.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { createPayerEligibilityConnector, type EligibilityPayload } from './payer-eligibility.js';
import { Transport } from './transport.js';

let remote: FakeSystems;
let mappings: MemoryMappings;
const tenant = randomUUID();

const payload: EligibilityPayload = {
  payerId: 'ACME',
  memberId: 'MBR-0042',
  patient: { givenName: 'Ada', familyName: 'Lovelace', birthDate: '1985-12-10' },
  provider: { npi: '1234567893', name: 'Northside Clinic', taxId: '12-3456789' },
  serviceDate: '2024-03-07',
};
const check = (overrides: Partial<EligibilityPayload> = {}) =>
  createPayerEligibilityConnector(new Transport({ mappings, breakers: new CircuitBreakerRegistry(), baseUrl: remote.url })).call({
    tenantId: tenant,
    idempotencyKey: 'eligibility:visit-7',
    payload: { ...payload, ...overrides },
  });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => {
  remote.reset();
  mappings = new MemoryMappings();
});

describe('payer eligibility', () => {
  it('sends a 270 of the payload and reads the 271 into coverage, plan, co-payment and deductible left', async () => {
    const outcome = await check();
    expect(outcome).toMatchObject({ kind: 'accepted', body: { active: true, planName: 'Gold PPO', copayMinor: 2500, deductibleRemainingMinor: 150_000 } });
    const [request] = remote.received('POST', '/payers/ACME/eligibility');
    expect(request!.headers['idempotency-key']).toBe('eligibility:visit-7');
    expect(request!.body).toEqual({
      transactionSet: '270',
      controlNumber: 'eligibility:visit-7',
      informationSource: { payerId: 'ACME' },
      informationReceiver: { name: 'Northside Clinic', identifierQualifier: 'XX', identifier: '1234567893' },
      subscriber: { memberId: 'MBR-0042', firstName: 'Ada', lastName: 'Lovelace', birthDate: '19851210' },
      serviceTypeCodes: ['30'],
      serviceDate: '20240307',
    });
  });

  it('maps the tenant’s payer code to the directory id, and sends the identifier and service types its mapping names', async () => {
    mappings.set(tenant, 'payer_eligibility', { payer_ids: { ACME: 'ACME-DIR-77' }, field_map: { providerId: 'tax_id', serviceTypeCodes: ['30', '98'] } });
    expect((await check()).kind).toBe('accepted');
    const [request] = remote.received('POST', '/payers/ACME-DIR-77/eligibility');
    expect(request!.body).toMatchObject({
      informationSource: { payerId: 'ACME-DIR-77' },
      informationReceiver: { identifierQualifier: 'FI', identifier: '12-3456789' },
      serviceTypeCodes: ['30', '98'],
    });
    // A tax id the payload lacks cannot be sent: refused, nothing sent.
    remote.reset();
    expect(await check({ provider: { npi: '1234567893', name: 'Northside Clinic' } })).toMatchObject({ kind: 'rejected', code: 'invalid_payload' });
    expect(remote.requests).toHaveLength(0);
  });

  it('reads inactive coverage, and a 271 without co-payment or deductible as nulls', async () => {
    remote.next('POST', '/payers', { status: 200, body: { transactionSet: '271', benefits: [{ code: '6', serviceTypeCode: '30' }] } });
    expect(await check()).toMatchObject({ kind: 'accepted', body: { active: false, planName: null, copayMinor: null, deductibleRemainingMinor: null } });
  });

  it('answers a payer that could not answer (AAA) as rejected with its code, or retryable when it asks to try later', async () => {
    remote.next(
      'POST',
      '/payers',
      { status: 200, body: { transactionSet: '271', rejections: [{ code: '75', followUp: 'C' }] } },
      { status: 200, body: { transactionSet: '271', rejections: [{ code: '42' }] } },
    );
    expect(await check()).toMatchObject({ kind: 'rejected', code: 'aaa_75', message: 'payer_eligibility: the payer could not answer the inquiry (AAA 75)' });
    expect(await check()).toMatchObject({ kind: 'retryable', reason: 'server_error' });
  });

  it('answers a 271 that does not say whether the member is covered, or of another shape, as malformed_response', async () => {
    remote.next(
      'POST',
      '/payers',
      { status: 200, body: { transactionSet: '271', benefits: [{ code: 'B', amount: '10.00' }] } },
      { status: 200, body: { transactionSet: '271', benefits: [{ code: '1', amount: 'twenty' }] } },
      { status: 200, body: { transactionSet: '997' } },
    );
    for (let i = 0; i < 3; i += 1) expect(await check()).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
  });

  it('answers 4xx rejected, 5xx and hangs retryable', async () => {
    mappings.set(tenant, 'payer_eligibility', { timeout_ms: 100 });
    remote.next('POST', '/payers', { status: 400 }, { status: 503 }, 'hang');
    expect(await check()).toMatchObject({ kind: 'rejected', code: 'bad_request' });
    expect(await check()).toMatchObject({ kind: 'retryable', reason: 'server_error' });
    expect(await check()).toMatchObject({ kind: 'retryable', reason: 'timeout' });
  });

  it('refuses a payload it cannot send, naming the field and not its value', async () => {
    const outcome = await check({ patient: { givenName: 'Ada', familyName: 'Lovelace', birthDate: '10/12/1985' } });
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'invalid_payload', message: 'payer_eligibility: payload.patient.birthDate is missing or invalid' });
    expect(JSON.stringify(outcome)).not.toMatch(/1985|Lovelace/);
    expect(remote.requests).toHaveLength(0);
  });
});
