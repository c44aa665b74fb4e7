import { describe, expect, it } from 'vitest';
import { respond, type EligibilityResponse } from './payer-eligibility.js';
import { useTestSimulators } from './test-support.js';

const inquiry = (memberId: string, extra: Record<string, unknown> = {}) => ({
  transactionSet: '270',
  controlNumber: '000000123',
  provider: { npi: '1234567893', name: 'Northside Clinic' },
  subscriber: { memberId, lastName: 'Doe', dateOfBirth: '1980-04-02' },
  serviceTypeCodes: ['30'],
  ...extra,
});

describe('POST /payers/{payerId}/eligibility', () => {
  const sim = useTestSimulators();

  it('answers an active member with a 271: plan, copay and deductible remaining in integer minor units', async () => {
    const reply = await sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry('M123456') });
    expect(reply.status).toBe(200);
    const body = reply.body as EligibilityResponse;
    expect(body).toMatchObject({ transactionSet: '271', controlNumber: '000000123', payerId: 'acme-health', subscriber: { memberId: 'M123456' } });
    expect(body.coverage).toMatchObject({ active: true, currency: 'USD' });
    if (!body.coverage.active) throw new Error('expected active coverage');
    expect(body.coverage.planName).toMatch(/^(Bronze|Silver|Gold|Platinum) /);
    expect(Number.isInteger(body.coverage.copayMinor) && body.coverage.copayMinor > 0).toBe(true);
    expect(Number.isInteger(body.coverage.deductibleRemainingMinor) && body.coverage.deductibleRemainingMinor >= 0).toBe(true);
    expect(body.benefits.map((benefit) => benefit.eligibilityCode)).toEqual(['1', 'B', 'C']);
    expect(body.benefits[1]!.amountMinor).toBe(body.coverage.copayMinor);
  });

  it('answers a member id ending in 0000 with no active coverage', async () => {
    const reply = await sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry('M1230000', { serviceTypeCodes: ['30', '98'] }) });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      coverage: { active: false },
      benefits: [
        { eligibilityCode: '6', serviceTypeCode: '30' },
        { eligibilityCode: '6', serviceTypeCode: '98' },
      ],
    });
  });

  it('answers the same inquiry the same, whatever was asked before; another seed another plan', async () => {
    const first = await sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry('M123456') });
    await sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry('M999') });
    expect((await sim.call('POST', '/payers/acme-health/eligibility', { body: inquiry('M123456') })).text).toBe(first.text);
    const members = Array.from({ length: 20 }, (_, i) => `M${1000 + i}`);
    const plans = (seed: number) => members.map((member) => JSON.stringify(respond(seed, 'acme-health', { subscriber: { memberId: member } }).coverage));
    expect(plans(42)).toEqual(plans(42));
    expect(plans(7)).not.toEqual(plans(42));
    // The plan does not depend on what else the inquiry says.
    expect(respond(42, 'acme-health', { controlNumber: '1', subscriber: { memberId: 'M1' } }).coverage).toEqual(respond(42, 'acme-health', { subscriber: { memberId: 'M1' } }).coverage);
    // A made-up control number when none was sent, the same every time.
    expect(respond(42, 'acme-health', { subscriber: { memberId: 'M1' } }).controlNumber).toMatch(/^[A-Z2-9]{9}$/);
    expect(respond(42, 'acme-health', { subscriber: { memberId: 'M1' } }).controlNumber).toBe(respond(42, 'acme-health', { subscriber: { memberId: 'M1' } }).controlNumber);
  });

  it('refuses what is not a 270, naming the field and never the value', async () => {
    const refused = async (path: string, body: unknown) => {
      const reply = await sim.call('POST', path, { body });
      expect(reply.status, reply.text).toBe(400);
      const { error } = reply.body as { error: { code: string; message: string } };
      expect(error.code).toBe('BAD_USER_INPUT');
      return error.message;
    };
    expect(await refused('/payers/Acme_Health/eligibility', inquiry('M1'))).toMatch(/payerId must be/);
    expect(await refused('/payers/acme/eligibility', { provider: {} })).toMatch(/subscriber: /);
    const message = await refused('/payers/acme/eligibility', inquiry('M 12#34'));
    expect(message).toMatch(/subscriber\.memberId: must be 1–40 letters/);
    expect(message).not.toContain('12#34');
    expect(await refused('/payers/acme/eligibility', inquiry('M1', { serviceTypeCodes: [] }))).toMatch(/serviceTypeCodes: /);
    expect(await refused('/payers/acme/eligibility', inquiry('M1', { dateOfService: '2025-02-30' }))).toMatch(/dateOfService: /);
    expect(await refused('/payers/acme/eligibility', inquiry('M1', { provider: { npi: '12' } }))).toMatch(/provider\.npi: must be a 10-digit NPI/);
    const notJson = await sim.call('POST', '/payers/acme/eligibility', { raw: '{"subscriber":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect((await sim.call('GET', '/payers/acme/eligibility')).status).toBe(405);
    expect((await sim.stats()).payer_eligibility!.outcomes).toMatchObject({ ok: 0, refused: 7 });
  });
});
