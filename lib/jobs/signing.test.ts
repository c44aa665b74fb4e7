/** Signed jobs verify after a trip through jsonb, and nothing edited or made without the key does. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jobSigningKey, signJob, verifyJob, type SignedJob } from './signing.js';
import { userContext } from './test-support.js';

const key = jobSigningKey('b'.repeat(43));
const context = userContext('7d3c1f0e-8f8e-4a57-9d0b-3b8f0e7c2a11');
const genuine = () => signJob(key, { id: '0b8f3a52-3c1e-4b7e-9a51-52f0b1c7d9e4', route: 'queue:clinical-ops.claims', context, data: { claimId: 'c-1', at: new Date(0) } });

/** What jsonb gives back: the same values, keys in another order. */
function throughJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(throughJsonb);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([name, member]) => [name, throughJsonb(member)]));
}

describe('signed jobs', () => {
  it('verify after a round trip through JSON storage that reorders keys', () => {
    const stored = throughJsonb(JSON.parse(JSON.stringify(genuine())));
    const result = verifyJob(key, stored);
    expect(result).toMatchObject({ ok: true, claims: { route: 'queue:clinical-ops.claims', data: { claimId: 'c-1', at: '1970-01-01T00:00:00.000Z' } } });
  });

  it.each([
    ['another tenant in the context', (job: SignedJob) => ({ ...job, context: { ...job.context!, tenantId: '11111111-1111-4111-8111-111111111111' } })],
    ['platform access in the context', (job: SignedJob) => ({ ...job, context: { ...job.context!, access: 'platform' as const } })],
    ['another queue', (job: SignedJob) => ({ ...job, route: 'queue:tenancy.events' as const })],
    ['other data', (job: SignedJob) => ({ ...job, data: { claimId: 'c-2' } })],
    ['another id', (job: SignedJob) => ({ ...job, id: '0b8f3a52-3c1e-4b7e-9a51-52f0b1c7d9e5' })],
  ])('refuses a job edited after signing: %s', (_, edit) => {
    expect(verifyJob(key, edit(genuine()))).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('refuses a job signed with another key, one without a signature, and one with fields added', () => {
    const { sig: _sig, ...unsigned } = genuine();
    const other = signJob(jobSigningKey('c'.repeat(43)), unsigned);
    expect(verifyJob(key, other)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifyJob(key, unsigned)).toEqual({ ok: false, reason: 'no signature' });
    expect(verifyJob(key, { ...genuine(), extra: true })).toEqual({ ok: false, reason: 'unexpected fields' });
    expect(verifyJob(key, 'job')).toEqual({ ok: false, reason: 'not a signed job' });
  });

  it('uses a key derived from the binding key, never the binding key itself', () => {
    const bindingKey = 'b'.repeat(43);
    expect(jobSigningKey(bindingKey).equals(createHmac('sha256', bindingKey).update('caregraph:jobs').digest())).toBe(true);
    expect(jobSigningKey(bindingKey).toString('utf8')).not.toContain(bindingKey);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"f":2}]},"b":1}');
  });
});
