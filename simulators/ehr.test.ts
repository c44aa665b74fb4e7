import { describe, expect, it } from 'vitest';
import { syntheticResource } from './ehr.js';
import { useTestSimulators } from './test-support.js';

describe('the EHR (FHIR R4)', () => {
  const sim = useTestSimulators();

  it('reads any id as a synthetic resource, the same every time, as FHIR JSON', async () => {
    const patient = await sim.call('GET', '/ehr/fhir/Patient/pat-123');
    expect(patient.status).toBe(200);
    expect(patient.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(patient.body).toMatchObject({ resourceType: 'Patient', id: 'pat-123', meta: { versionId: '1' }, name: [{ family: expect.any(String) }], birthDate: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    expect((await sim.call('GET', '/ehr/fhir/Patient/pat-123')).text).toBe(patient.text);
    expect((await sim.call('GET', '/ehr/fhir/Appointment/apt-1')).body).toMatchObject({ resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: expect.stringMatching(/^Patient\//) } }] });
    expect((await sim.call('GET', '/ehr/fhir/Coverage/cov-1')).body).toMatchObject({ resourceType: 'Coverage', status: 'active', payor: [{ display: expect.any(String) }] });
    const names = (seed: number) => Array.from({ length: 10 }, (_, i) => JSON.stringify(syntheticResource(seed, 'Patient', `p${i}`)));
    expect(names(42)).toEqual(names(42));
    expect(names(7)).not.toEqual(names(42));
  });

  it('answers 404 for ids ending in 0000, 400 for types and ids it does not serve', async () => {
    const missing = await sim.call('GET', '/ehr/fhir/Patient/pat-10000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    expect((await sim.call('GET', '/ehr/fhir/Observation/obs-1')).body).toEqual({ error: { code: 'BAD_USER_INPUT', message: 'type must be one of Patient, Appointment, Coverage' } });
    expect((await sim.call('GET', `/ehr/fhir/Patient/${'x'.repeat(65)}`)).status).toBe(400);
    expect((await sim.call('GET', '/ehr/fhir/Patient/pat_1')).status).toBe(400);
    expect((await sim.call('DELETE', '/ehr/fhir/Patient/pat-1')).status).toBe(405);
  });

  it('creates a resource once per Idempotency-Key, with an id of its own, and reads it back', async () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Doe', given: ['Jane'] }], birthDate: '1980-04-02' };
    const created = await sim.call('POST', '/ehr/fhir/Patient', { body: patient, key: 'patient-create-1' });
    expect(created.status).toBe(201);
    const body = created.body as { id: string; meta: { versionId: string; lastUpdated: string } };
    expect(body).toMatchObject({ ...patient, id: expect.stringMatching(/^sim-[a-z2-9]{12}$/), meta: { versionId: '1' } });
    expect(created.headers.get('location')).toBe(`/ehr/fhir/Patient/${body.id}/_history/1`);
    expect((await sim.call('GET', `/ehr/fhir/Patient/${body.id}`)).body).toEqual(body);
    const again = await sim.call('POST', '/ehr/fhir/Patient', { body: { ...patient, birthDate: '1999-01-01' }, key: 'patient-create-1' });
    expect(again.status).toBe(201);
    expect(again.text).toBe(created.text);
    // The same key for another type is another create.
    const coverage = { resourceType: 'Coverage', status: 'active', beneficiary: { reference: `Patient/${body.id}` }, payor: [{ display: 'Acme Health' }] };
    expect((await sim.call('POST', '/ehr/fhir/Coverage', { body: coverage, key: 'patient-create-1' })).status).toBe(201);
    expect((await sim.stats()).ehr).toMatchObject({ received: 2, distinctKeys: 2, duplicatesAnswered: 1 });
  });

  it('refuses a create without a key, of another resourceType, or missing what FHIR requires', async () => {
    const refused = async (type: string, body: unknown, key: string | undefined, pattern: RegExp) => {
      const reply = await sim.call('POST', `/ehr/fhir/${type}`, { body, key });
      expect(reply.status, reply.text).toBe(400);
      expect((reply.body as { error: { message: string } }).error.message).toMatch(pattern);
    };
    await refused('Patient', { resourceType: 'Patient' }, undefined, /needs an Idempotency-Key header/);
    await refused('Patient', { resourceType: 'Appointment' }, 'k1', /^Invalid Patient: resourceType: /);
    await refused('Appointment', { resourceType: 'Appointment', status: 'booked' }, 'k2', /participant: /);
    await refused('Appointment', { resourceType: 'Appointment', status: 'maybe', participant: [{ status: 'accepted' }] }, 'k3', /status: /);
    await refused('Coverage', { resourceType: 'Coverage', status: 'active', payor: [] }, 'k4', /beneficiary: .*payor: /);
    await refused('Encounter', { resourceType: 'Encounter' }, 'k5', /type must be one of/);
    expect((await sim.stats()).ehr).toMatchObject({ received: 0, outcomes: { refused: 6 } });
  });
});
