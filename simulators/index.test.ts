/**
 * The simulators as one server: routing, the admin API, and what the knobs do to answers — each
 * knob's share pinned exactly, since under a fixed seed it is a fact, not a probability.
 */
import { describe, expect, it } from 'vitest';
import { CONNECTOR_KINDS } from '../subgraphs/clinical-ops/integrations/contract.js';
import { SIMULATED_SYSTEMS } from './index.js';
import { DEFAULT_HANG_MS } from './knobs.js';
import { startTestSimulators, useTestSimulators, type TestSimulators } from './test-support.js';

const claim = (memberId = 'M123456') => ({ patientControlNumber: 'CLM-1', subscriber: { memberId }, totalChargeMinor: 9_000, serviceLines: [{ procedureCode: '99213', chargeMinor: 9_000 }] });
const inquiry = (memberId: string) => ({ subscriber: { memberId } });

/** A mix of every system's routes, repeating keys and ids; returns `status text` of each answer. */
async function workload(sim: TestSimulators, count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    const reply = await [
      () => sim.call('POST', '/payers/acme-health/claims', { body: claim(), key: `claim-${i % 7}` }),
      () => sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry(`M${i % 5}`) }),
      () => sim.call('GET', `/ehr/fhir/Patient/pat-${i % 3}`),
      () => sim.call('POST', '/ehr/fhir/Patient', { body: { resourceType: 'Patient' }, key: `patient-${i % 4}` }),
      () => sim.call('GET', `/pharmacy/prescriptions/rx-${i % 6}`),
      () => sim.call('POST', '/messaging/messages', { body: { channel: 'sms', to: '+15555550123', template: 'reminder' }, key: `msg-${i % 5}` }),
    ][i % 6]!();
    answers.push(`${reply.status} ${reply.text}`);
  }
  return answers;
}

describe('the simulators', () => {
  it('have a simulated system for every connector kind of the integration gateway, and routes for each', () => {
    expect(SIMULATED_SYSTEMS.map((system) => system.name)).toEqual([...CONNECTOR_KINDS]);
    for (const system of SIMULATED_SYSTEMS) expect(system.routes.length, system.name).toBeGreaterThan(0);
  });

  it('listen on loopback only, whatever HOST says, and answer /healthz and unknown paths', async () => {
    const sim = await startTestSimulators({ HOST: '0.0.0.0', SIMULATORS_SEED: '9' });
    try {
      expect(new URL(sim.url).hostname).toBe('127.0.0.1');
      expect((await sim.call('GET', '/healthz')).body).toEqual({ status: 'ok', service: 'simulators', seed: 9 });
      const unknown = await sim.call('GET', '/payers');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.stringContaining('docs/simulators.md') } });
    } finally {
      await sim.close();
    }
  });

  it('give the same answers to the same requests under the same seed, faults included; another seed differs', async () => {
    const knobs = { failureRate: 0.2, malformedRate: 0.2 };
    const run = async (seed: string) => {
      const sim = await startTestSimulators({ SIMULATORS_SEED: seed }, { now: () => Date.UTC(2025, 0, 1) });
      try {
        await sim.setKnobs(Object.fromEntries(CONNECTOR_KINDS.map((system) => [system, knobs])));
        return { answers: await workload(sim, 90), stats: await sim.stats() };
      } finally {
        await sim.close();
      }
    };
    const [first, second, other] = [await run('42'), await run('42'), await run('7')];
    expect(second.answers).toEqual(first.answers);
    expect(second.stats).toEqual(first.stats);
    expect(other.answers).not.toEqual(first.answers);
    const statuses = new Set(first.answers.map((answer) => answer.slice(0, 3)));
    expect([...statuses].sort()).toEqual(['200', '201', '503']);
  });
});

describe('the knobs', () => {
  const sim = useTestSimulators({ SIMULATORS_SEED: '42' });

  it('failureRate: answers that share of requests 503 and receives none of them, the same requests every run', async () => {
    await sim.setKnobs({ payer_claims: { failureRate: 0.1 } });
    const failed: number[] = [];
    for (let i = 0; i < 200; i++) {
      const reply = await sim.call('POST', '/payers/acme-health/claims', { body: claim(), key: `claim-${i}` });
      if (reply.status === 503) {
        expect(reply.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) } });
        failed.push(i);
      } else {
        expect(reply.status).toBe(200);
      }
    }
    // Seed 42, keys claim-0 … claim-199, first attempts: exactly these.
    expect(failed.length).toBe(FAILED_OF_200);
    expect(failed.slice(0, 5)).toEqual(FIRST_FAILED);
    expect((await sim.stats()).payer_claims).toMatchObject({ requests: 200, received: 200 - FAILED_OF_200, outcomes: { failed: FAILED_OF_200, ok: 200 - FAILED_OF_200 } });
    // A retry is another attempt, with a draw of its own: most of the failed go through now.
    let retriedOk = 0;
    for (const i of failed) if ((await sim.call('POST', '/payers/acme-health/claims', { body: claim(), key: `claim-${i}` })).status === 200) retriedOk += 1;
    expect(retriedOk).toBeGreaterThan(FAILED_OF_200 / 2);
  });

  it('timeoutRate: holds the answer, so the client’s timeout fires; past hangMs it answers 504', async () => {
    await sim.setKnobs({ pharmacy: { timeoutRate: 1 } });
    expect((await sim.call('GET', '/admin/knobs')).body).toMatchObject({ pharmacy: { hangMs: DEFAULT_HANG_MS } });
    await expect(sim.call('GET', '/pharmacy/prescriptions/rx-1', { signal: AbortSignal.timeout(100) })).rejects.toThrow(/timeout|aborted/i);
    expect((await sim.stats()).pharmacy!.outcomes).toMatchObject({ timeout: 1, ok: 0 });
    await sim.setKnobs({ pharmacy: { hangMs: 20 } });
    const late = await sim.call('GET', '/pharmacy/prescriptions/rx-1');
    expect(late.status).toBe(504);
    expect(late.body).toEqual({ error: { code: 'GATEWAY_TIMEOUT', message: expect.any(String) } });
  });

  it('malformedRate: answers 200 with a body that is not the expected JSON, in each of its three forms', async () => {
    await sim.setKnobs({ payer_eligibility: { malformedRate: 1 } });
    const forms = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const reply = await sim.call('POST', '/payers/acme/eligibility', { body: inquiry(`M${i}`) });
      expect(reply.status).toBe(200);
      expect(reply.body ?? {}).not.toHaveProperty('transactionSet');
      if (reply.headers.get('content-type')?.startsWith('text/html')) forms.add('html');
      else forms.add(reply.body === undefined ? 'cut off' : 'other shape');
    }
    expect([...forms].sort()).toEqual(['cut off', 'html', 'other shape']);
    expect((await sim.stats()).payer_eligibility).toMatchObject({ requests: 30, outcomes: { malformed: 30 } });
  });

  it('latencyMs: delays every answer of the system by at least that much, and no other system', async () => {
    await sim.setKnobs({ ehr: { latencyMs: 60 } });
    const started = performance.now();
    const reply = await sim.call('GET', '/ehr/fhir/Patient/pat-1');
    // Timers may round a millisecond down; no upper bound is asserted.
    expect(performance.now() - started).toBeGreaterThanOrEqual(59);
    expect(reply.status).toBe(200);
    const refusedAt = performance.now();
    expect((await sim.call('GET', '/ehr/fhir/Observation/1')).status).toBe(400);
    expect(performance.now() - refusedAt).toBeGreaterThanOrEqual(59);
  });

  it('apply per system: the others answer as usual', async () => {
    await sim.setKnobs({ messaging: { failureRate: 1 } });
    expect((await sim.call('POST', '/messaging/messages', { body: { channel: 'sms', to: '+15555550123', template: 't' }, key: 'k' })).status).toBe(503);
    expect((await sim.call('GET', '/pharmacy/prescriptions/rx-1')).status).toBe(200);
  });
});

/** Seed 42, payer_claims, keys claim-0 … claim-199 at failureRate 0.1 (computed once, pinned: a change here changes every run's outcomes). */
const FAILED_OF_200 = 19;
const FIRST_FAILED = [1, 9, 12, 15, 29];

describe('stopping', () => {
  it('ends a held request at once rather than waiting out its hang', async () => {
    const sim = await startTestSimulators();
    await sim.setKnobs({ ehr: { timeoutRate: 1, hangMs: 120_000 } });
    const held = sim.call('GET', '/ehr/fhir/Patient/pat-1').then(
      () => 'answered',
      () => 'cut off',
    );
    while ((await sim.stats()).ehr!.outcomes.timeout! < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await sim.close();
    expect(await held).toBe('cut off');
  });
});
