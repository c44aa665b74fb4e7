/**
 * The binding's MAC is standard HMAC-SHA256, and the padded keys stored for the database give
 * the same value from two plain SHA-256 calls (what the policy helpers in roles.ts compute).
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bindingPads, signBinding } from './binding.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

describe('signBinding', () => {
  const claims = { access: 'tenant' as const, tenantId: '7d3c1f0e-8f8e-4a57-9d0b-3b8f0e7c2a11', partnerId: '', pid: 4242, expiresAt: 1_900_000_000 };

  it('is the claims, then their HMAC-SHA256', () => {
    const key = 'k'.repeat(43);
    const payload = `tenant|${claims.tenantId}||4242|1900000000`;
    expect(signBinding(key, claims)).toBe(`${payload}|${createHmac('sha256', key).update(payload).digest('hex')}`);
  });

  it.each([['a 43-character key', 'x'.repeat(43)], ['a key longer than the block', 'y'.repeat(100)]])(
    'is what the database computes from the padded keys, for %s',
    (_, key) => {
      const { inner, outer } = bindingPads(key);
      expect(inner).toHaveLength(64);
      expect(outer).toHaveLength(64);
      const binding = signBinding(key, claims);
      const payload = binding.slice(0, binding.lastIndexOf('|'));
      const mac = binding.slice(binding.lastIndexOf('|') + 1);
      expect(sha256(outer, sha256(inner, Buffer.from(payload))).toString('hex')).toBe(mac);
    },
  );

  it('changes with every claim', () => {
    const key = 'z'.repeat(43);
    const macs = new Set(
      [claims, { ...claims, access: 'platform' as const }, { ...claims, pid: 4243 }, { ...claims, expiresAt: 1_900_000_001 }].map(
        (c) => signBinding(key, c).split('|').at(-1),
      ),
    );
    expect(macs.size).toBe(4);
  });
});
