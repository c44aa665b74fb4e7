import { describe, expect, it } from 'vitest';
import { CONNECTOR_KINDS } from '../subgraphs/clinical-ops/integrations/contract.js';
import { DEFAULT_HANG_MS } from './knobs.js';
import { useTestSimulators } from './test-support.js';

const claim = { patientControlNumber: 'CLM-1', subscriber: { memberId: 'M123456' }, totalChargeMinor: 9_000, serviceLines: [{ procedureCode: '99213', chargeMinor: 9_000 }] };

describe('the admin API', () => {
  const sim = useTestSimulators({ SIMULATORS_LATENCY_MS: '5', SIMULATORS_FAILURE_RATE: '0.05' });
  const knobs = async () => (await sim.call('GET', '/admin/knobs')).body as Record<string, Record<string, number>>;

  it('shows every system’s knobs, starting from the configuration', async () => {
    const table = await knobs();
    expect(Object.keys(table)).toEqual([...CONNECTOR_KINDS]);
    expect(table.ehr).toEqual({ latencyMs: 5, failureRate: 0.05, timeoutRate: 0, malformedRate: 0, hangMs: DEFAULT_HANG_MS });
  });

  it('changes the knobs a PUT names, and refuses a bad one naming the field, changing nothing', async () => {
    const put = await sim.call('PUT', '/admin/knobs', { body: { ehr: { latencyMs: 0 }, payer_claims: { timeoutRate: 0.5, hangMs: 1_000 } } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ehr: { latencyMs: 0, failureRate: 0.05 }, payer_claims: { latencyMs: 5, timeoutRate: 0.5, hangMs: 1_000 } });
    const before = await knobs();
    for (const [body, pattern] of [
      [{ ehr: { failureRate: 2 }, pharmacy: { latencyMs: 0 } }, /ehr\.failureRate: /],
      [{ ehr: { latency: 10 } }, /ehr\.latency: not expected here/],
      [{ pharmacies: {} }, /pharmacies: /],
      [{ payer_claims: { malformedRate: 0.5 } }, /payer_claims: failureRate \+ timeoutRate \+ malformedRate must not exceed 1/],
      ['fast', /\(body\): /],
    ] as const) {
      const refused = await sim.call('PUT', '/admin/knobs', { body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((refused.body as { error: { code: string; message: string } }).error).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(pattern) });
    }
    const notJson = await sim.call('PUT', '/admin/knobs', { raw: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await knobs()).toEqual(before);
  });

  it('resets the knobs to the configuration and forgets every receipt and count', async () => {
    await sim.setKnobs({ payer_claims: { failureRate: 0, latencyMs: 0 } });
    expect((await sim.call('POST', '/payers/acme/claims', { body: claim, key: 'claim-1' })).status).toBe(200);
    expect((await sim.stats()).payer_claims).toMatchObject({ requests: 1, received: 1 });
    const reset = await sim.call('POST', '/admin/reset');
    expect(reset.status).toBe(200);
    expect((reset.body as Record<string, unknown>).payer_claims).toMatchObject({ latencyMs: 5, failureRate: 0.05 });
    expect((await sim.stats()).payer_claims).toEqual({ requests: 0, outcomes: { ok: 0, refused: 0, failed: 0, timeout: 0, malformed: 0 }, received: 0, distinctKeys: 0, duplicatesAnswered: 0 });
    expect((await sim.call('GET', '/payers/acme/claims/claim-1')).status).toBe(404);
  });

  it('reports stats per system, receipts for the systems with idempotent creates only', async () => {
    const stats = await sim.stats();
    expect(Object.keys(stats)).toEqual([...CONNECTOR_KINDS]);
    expect(stats.payer_claims).toHaveProperty('distinctKeys');
    expect(stats.ehr).toHaveProperty('distinctKeys');
    expect(stats.messaging).toHaveProperty('distinctKeys');
    expect(stats.payer_eligibility).not.toHaveProperty('received');
    expect(stats.pharmacy).not.toHaveProperty('received');
  });

  it('answers 405 with Allow for another method and 404 for another admin path', async () => {
    const wrong = await sim.call('DELETE', '/admin/knobs');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, PUT');
    expect((await sim.call('GET', '/admin/reset')).status).toBe(405);
    expect((await sim.call('GET', '/admin/nothing')).status).toBe(404);
  });
});
