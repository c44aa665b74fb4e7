/**
 * Payer claims against a fake payer: the 837P carries the claim and the Idempotency-Key (the same
 * key answers the first answer again), a payer's rejection of a received claim is an accepted call
 * whose body says REJECTED with the payer's reasons — told apart from a refused request (4xx) and a
 * transport failure (retryable) — and `lookup` says what the payer holds under a key.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { createPayerClaimsConnector, type ClaimPayload } from './payer-claims.js';
import { Transport } from './transport.js';

let remote: FakeSystems;
let mappings: MemoryMappings;
const tenant = randomUUID();

const claim = (claimId = 'CLM-1001'): ClaimPayload => ({
  payerId: 'ACME',
  claimId,
  memberId: 'MBR-0042',
  patient: { givenName: 'Ada', familyName: 'Lovelace', birthDate: '1985-12-10' },
  provider: { npi: '1234567893', name: 'Northside Clinic' },
  diagnosisCodes: ['J06.9'],
  lines: [
    { procedureCode: '99213', chargeMinor: 12_550, serviceDate: '2024-03-07' },
    { procedureCode: '87880', modifiers: ['QW'], chargeMinor: 2_000, units: 2, serviceDate: '2024-03-07' },
  ],
});
const connector = () => createPayerClaimsConnector(new Transport({ mappings, breakers: new CircuitBreakerRegistry(), baseUrl: remote.url }));
const submit = (payload = claim(), key = `claim:${payload.claimId}:submit`) => connector().call({ tenantId: tenant, idempotencyKey: key, payload });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => {
  remote.reset();
  mappings = new MemoryMappings();
});

describe('payer claims', () => {
  it('sends an 837P with the Idempotency-Key, and the same key answers the first answer again', async () => {
    const first = await submit();
    expect(first).toMatchObject({ kind: 'accepted', body: { status: 'accepted', reasons: [] } });
    const [request] = remote.received('POST', '/payers/ACME/claims');
    expect(request!.headers['idempotency-key']).toBe('claim:CLM-1001:submit');
    expect(request!.body).toEqual({
      transactionSet: '837P',
      controlNumber: 'claim:CLM-1001:submit',
      billingProvider: { name: 'Northside Clinic', identifierQualifier: 'XX', identifier: '1234567893' },
      subscriber: { memberId: 'MBR-0042', firstName: 'Ada', lastName: 'Lovelace', birthDate: '19851210' },
      payer: { payerId: 'ACME' },
      claim: {
        claimId: 'CLM-1001',
        totalCharge: '145.50',
        placeOfService: '11',
        diagnosisCodes: ['J069'],
        serviceLines: [
          { procedureCode: '99213', modifiers: [], charge: '125.50', units: 1, serviceDate: '20240307', diagnosisPointers: [1] },
          { procedureCode: '87880', modifiers: ['QW'], charge: '20.00', units: 2, serviceDate: '20240307', diagnosisPointers: [1] },
        ],
      },
    });
    const again = await submit();
    expect(again).toEqual({ ...first, latencyMs: again.latencyMs });
    expect(remote.received('POST', '/payers/ACME/claims').map((r) => r.headers['idempotency-key'])).toEqual(['claim:CLM-1001:submit', 'claim:CLM-1001:submit']);
  });

  it('answers a claim the payer received and rejected as accepted with status rejected and the payer’s reasons', async () => {
    const outcome = await submit(claim('REJECT-7'));
    expect(outcome).toMatchObject({
      kind: 'accepted',
      body: { payerClaimId: expect.stringMatching(/^PCN-/) as unknown, status: 'rejected', reasons: [{ code: 'CO-16', message: 'Claim lacks information needed for adjudication' }] },
    });
    // Reasons sent as bare codes are read as codes.
    remote.next('POST', '/payers', { status: 200, body: { payerClaimId: 'PCN-9', status: 'rejected', reasons: ['N290'] } });
    expect(await submit(claim('CLM-2'))).toMatchObject({ kind: 'accepted', body: { status: 'rejected', reasons: [{ code: 'N290', message: null }] } });
  });

  it('tells a refused request (rejected) and a transport failure (retryable) from a payer’s rejection', async () => {
    mappings.set(tenant, 'payer_claims', { timeout_ms: 100 });
    remote.next('POST', '/payers', { status: 422 }, { status: 409 }, { status: 502 }, 'hang', { status: 200, raw: '{"payerClaimId":' }, { status: 200, body: { payerClaimId: 'P', status: 'pending' } });
    expect(await submit()).toMatchObject({ kind: 'rejected', code: 'unprocessable' });
    expect(await submit()).toMatchObject({ kind: 'rejected', code: 'conflict' });
    expect(await submit()).toMatchObject({ kind: 'retryable', reason: 'server_error' });
    expect(await submit()).toMatchObject({ kind: 'retryable', reason: 'timeout' });
    expect(await submit()).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
    expect(await submit()).toMatchObject({ kind: 'retryable', reason: 'malformed_response', message: expect.stringContaining('(at status)') as unknown });
  });

  it('looks up what the payer received under a key: the claim and its answer, or nothing', async () => {
    const sent = await submit(claim('CLM-3'), 'claim:CLM-3:submit');
    const found = await connector().lookup(tenant, 'ACME', 'claim:CLM-3:submit');
    expect(found).toMatchObject({ kind: 'accepted', body: { received: true, claim: sent.kind === 'accepted' ? sent.body : null } });
    expect(remote.received('GET', `/payers/ACME/claims/${encodeURIComponent('claim:CLM-3:submit')}`)).toHaveLength(1);
    expect(await connector().lookup(tenant, 'ACME', 'claim:never-sent')).toMatchObject({ kind: 'accepted', body: { received: false } });
  });

  it('looks up under the tenant’s payer id mapping, and answers a lookup that fails as retryable', async () => {
    mappings.set(tenant, 'payer_claims', { payer_ids: { ACME: 'ACME-DIR-77' } });
    await submit(claim('CLM-4'));
    expect(remote.received('POST', '/payers/ACME-DIR-77/claims')).toHaveLength(1);
    expect(await connector().lookup(tenant, 'ACME', 'claim:CLM-4:submit')).toMatchObject({ kind: 'accepted', body: { received: true } });
    remote.next('GET', '/payers', { status: 503 }, { status: 200, body: { payerClaimId: 'x' } });
    expect(await connector().lookup(tenant, 'ACME', 'claim:CLM-4:submit')).toMatchObject({ kind: 'retryable', reason: 'server_error' });
    expect(await connector().lookup(tenant, 'ACME', 'claim:CLM-4:submit')).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
    expect(await connector().lookup(tenant, 'ACME', 'key with spaces')).toMatchObject({ kind: 'rejected', code: 'invalid_payload' });
  });

  it('uses the tenant’s place of service and provider identifier, and refuses lines pointing at no diagnosis', async () => {
    mappings.set(tenant, 'payer_claims', { field_map: { providerId: 'tax_id', placeOfService: '02' } });
    const payload = { ...claim('CLM-5'), provider: { npi: '1234567893', name: 'Northside Clinic', taxId: '123456789' } };
    expect((await submit(payload)).kind).toBe('accepted');
    expect(remote.received('POST', '/payers/ACME/claims')[0]!.body).toMatchObject({
      billingProvider: { identifierQualifier: 'FI', identifier: '123456789' },
      claim: { placeOfService: '02' },
    });
    const pointing = { ...claim('CLM-6'), lines: [{ procedureCode: '99213', chargeMinor: 100, serviceDate: '2024-03-07', diagnosisPointers: [2] }] };
    expect(await submit(pointing)).toMatchObject({ kind: 'rejected', code: 'invalid_payload' });
  });
});
