import { describe, expect, it } from 'vitest';
import { rejectionReasons, type ClaimAnswer, type ClaimSubmission } from './payer-claims.js';
import { useTestSimulators } from './test-support.js';

const claim = (overrides: Partial<ClaimSubmission> = {}): ClaimSubmission => ({
  transactionSet: '837',
  patientControlNumber: 'CLM-2025-0001',
  billingProvider: { npi: '1234567893', name: 'Northside Clinic' },
  subscriber: { memberId: 'M123456' },
  totalChargeMinor: 18_500,
  currency: 'USD',
  diagnosisCodes: ['J06.9'],
  serviceLines: [
    { procedureCode: '99213', chargeMinor: 15_000, units: 1, serviceDate: '2025-03-04' },
    { procedureCode: '87880', chargeMinor: 3_500, units: 1 },
  ],
  ...overrides,
});

describe('the claim rules', () => {
  it('accept a complete claim and give every reason that applies, in order', () => {
    expect(rejectionReasons(claim())).toEqual([]);
    expect(rejectionReasons(claim({ totalChargeMinor: 0 }))).toEqual(['total charge is zero']);
    expect(rejectionReasons(claim({ subscriber: { memberId: 'M9999' } }))).toEqual(['member not found']);
    expect(
      rejectionReasons(claim({ subscriber: { memberId: 'X19999' }, totalChargeMinor: 0, serviceLines: [{ chargeMinor: 0 }, { procedureCode: '99213', chargeMinor: 0 }, { procedureCode: '  ', chargeMinor: 0 }] })),
    ).toEqual(['member not found', 'total charge is zero', 'service line 1 has no procedure code', 'service line 3 has no procedure code']);
  });
});

describe('POST /payers/{payerId}/claims and GET /payers/{payerId}/claims/{key}', () => {
  const sim = useTestSimulators();
  const submit = (key: string | undefined, body: unknown = claim(), payer = 'acme-health') => sim.call('POST', `/payers/${payer}/claims`, { body, key });

  it('accepts a complete claim with a payer claim id, and rejects one the rules refuse with HTTP 200', async () => {
    const accepted = await submit('claim-1');
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ payerClaimId: expect.stringMatching(/^PCN-[A-Z2-9]{12}$/), status: 'accepted', reasons: [] });
    const rejected = await submit('claim-2', claim({ subscriber: { memberId: 'M0009999' } }));
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', reasons: ['member not found'] });
    const noCode = await submit('claim-3', claim({ serviceLines: [{ chargeMinor: 18_500 }] }));
    expect(noCode.body).toMatchObject({ status: 'rejected', reasons: ['service line 1 has no procedure code'] });
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 3, distinctKeys: 3, duplicatesAnswered: 0, outcomes: { ok: 3 } });
  });

  it('answers the same key with the first answer and receives it once, whatever the second body says', async () => {
    const first = await submit('claim-1');
    const again = await submit('claim-1');
    const changed = await submit('claim-1', claim({ totalChargeMinor: 0 }));
    expect(again.text).toBe(first.text);
    expect(changed.text).toBe(first.text);
    // Keys are a payer's own: the same key at another payer is another claim.
    const elsewhere = await submit('claim-1', claim(), 'northwind');
    expect((elsewhere.body as ClaimAnswer).payerClaimId).not.toBe((first.body as ClaimAnswer).payerClaimId);
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 2, distinctKeys: 2, duplicatesAnswered: 2 });
  });

  it('returns the claim received under a key, and 404 for a key it never received', async () => {
    const answer = (await submit('claim-7')).body as ClaimAnswer;
    const found = await sim.call('GET', '/payers/acme-health/claims/claim-7');
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ ...answer, idempotencyKey: 'claim-7', receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), claim: claim() });
    const encoded = await submit('tenant:1/claim:8');
    expect((await sim.call('GET', `/payers/acme-health/claims/${encodeURIComponent('tenant:1/claim:8')}`)).body).toMatchObject(encoded.body as object);
    expect((await sim.call('GET', '/payers/acme-health/claims/claim-8')).status).toBe(404);
    expect((await sim.call('GET', '/payers/northwind/claims/claim-7')).body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 2, duplicatesAnswered: 0 });
  });

  it('refuses a claim without an Idempotency-Key, or not shaped as an 837, and receives nothing', async () => {
    const refused = async (key: string | undefined, body: unknown, pattern: RegExp, payer?: string) => {
      const reply = await submit(key, body, payer);
      expect(reply.status, reply.text).toBe(400);
      expect((reply.body as { error: { code: string; message: string } }).error).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(pattern) });
    };
    await refused(undefined, claim(), /needs an Idempotency-Key header/);
    await refused('x'.repeat(201), claim(), /Idempotency-Key must be/);
    await refused('claim-1', { ...claim(), serviceLines: [] }, /serviceLines: /);
    await refused('claim-1', { ...claim(), totalChargeMinor: 12.5 }, /totalChargeMinor: /);
    await refused('claim-1', { ...claim(), totalChargeMinor: -1 }, /totalChargeMinor: /);
    await refused('claim-1', claim({ serviceLines: [{ procedureCode: '9921', chargeMinor: 1 }] }), /serviceLines\.0\.procedureCode: /);
    await refused('claim-1', claim({ diagnosisCodes: ['flu'] }), /diagnosisCodes\.0: must be an ICD-10 code/);
    await refused('claim-1', claim(), /payerId must be/, '-acme');
    expect((await sim.call('GET', `/payers/acme/claims/${encodeURIComponent('with space')}`)).status).toBe(400);
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 0, distinctKeys: 0, outcomes: { refused: 9, ok: 0 } });
  });

  it('receives a claim whose answer timed out: the retry under its key gets the first answer, and it counts once', async () => {
    await sim.setKnobs({ payer_claims: { timeoutRate: 1, hangMs: 20 } });
    const lost = await submit('claim-9');
    expect(lost.status).toBe(504);
    await sim.setKnobs({ payer_claims: { timeoutRate: 0 } });
    const status = await sim.call('GET', '/payers/acme-health/claims/claim-9');
    expect(status.status).toBe(200);
    const retried = await submit('claim-9');
    expect(retried.body).toEqual({ payerClaimId: (status.body as ClaimAnswer).payerClaimId, status: 'accepted', reasons: [] });
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 1, outcomes: { timeout: 1, ok: 2 } });
  });

  it('receives nothing from a request answered 503: the retry is the first receipt', async () => {
    await sim.setKnobs({ payer_claims: { failureRate: 1 } });
    expect((await submit('claim-10')).status).toBe(503);
    await sim.setKnobs({ payer_claims: { failureRate: 0 } });
    expect((await sim.call('GET', '/payers/acme-health/claims/claim-10')).status).toBe(404);
    expect((await submit('claim-10')).status).toBe(200);
    expect((await sim.stats()).payer_claims).toMatchObject({ received: 1, duplicatesAnswered: 0, outcomes: { failed: 1, ok: 1, refused: 1 } });
  });
});
