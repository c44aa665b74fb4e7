/**
 * The audit chain's arithmetic: a chain verifies whole; an edit, a removal, an insertion, a
 * reordering, a forged hash or a cut-off end is found at the first entry it touches.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH, verifyChain, type ChainedEntry } from './chain.js';

const key = randomBytes(32);

function chainOf(length: number, signingKey = key): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const facts = {
      chain: 'tenant:00000000-0000-4000-8000-000000000001',
      seq,
      id: randomUUID(),
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      actor: { id: 'admin', kind: 'user', roles: ['platform_admin'] },
      requestId: randomUUID(),
      action: 'tenant.suspended',
      target: 'tenant:00000000-0000-4000-8000-000000000001',
      detail: { from: 'active', to: 'suspended', n: seq },
    };
    const hash = entryHash(signingKey, prevHash, facts);
    entries.push({ ...facts, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

const headOf = (entries: ChainedEntry[]) => ({ seq: entries.at(-1)?.seq ?? 0, hash: entries.at(-1)?.hash ?? GENESIS_HASH });

describe('verifyChain', () => {
  it('accepts a whole chain, and an empty one', () => {
    const entries = chainOf(5);
    expect(verifyChain(key, entries, headOf(entries))).toEqual({ valid: true, entries: 5, firstBrokenSeq: null, problem: null });
    expect(verifyChain(key, [], null).valid).toBe(true);
  });

  it('finds an edited entry, even with the key order of its detail changed', () => {
    const entries = chainOf(5);
    entries[2] = { ...entries[2]!, detail: { ...entries[2]!.detail, to: 'active' } };
    expect(verifyChain(key, entries, headOf(entries))).toMatchObject({ valid: false, firstBrokenSeq: 3 });
    const reordered = chainOf(3);
    reordered[1] = { ...reordered[1]!, detail: { n: 2, to: 'suspended', from: 'active' } };
    expect(verifyChain(key, reordered, headOf(reordered)).valid).toBe(true);
  });

  it('finds a removed, an inserted and a swapped entry', () => {
    const removed = chainOf(5).filter((entry) => entry.seq !== 2);
    expect(verifyChain(key, removed, headOf(chainOf(5)))).toMatchObject({ valid: false, firstBrokenSeq: 2 });
    const swapped = chainOf(4);
    [swapped[1], swapped[2]] = [{ ...swapped[2]!, seq: 2 }, { ...swapped[1]!, seq: 3 }];
    expect(verifyChain(key, swapped, headOf(swapped))).toMatchObject({ valid: false, firstBrokenSeq: 2 });
  });

  it('finds a chain rewritten with another key, and an end cut off behind its head', () => {
    const forged = chainOf(3, randomBytes(32));
    expect(verifyChain(key, forged, headOf(forged))).toMatchObject({ valid: false, firstBrokenSeq: 1 });
    const entries = chainOf(5);
    expect(verifyChain(key, entries.slice(0, 3), headOf(entries))).toMatchObject({ valid: false, entries: 3, firstBrokenSeq: 4 });
  });
});
