/**
 * The arithmetic of a tamper-evident audit log, apart from any table: each entry's hash is an
 * HMAC-SHA256 over the previous entry's hash and the entry's canonical JSON, with a key
 * derived from the database binding key (`Database.deriveKey('audit')`). The services hold
 * that key and no database role does, so someone who edits, inserts or deletes a row in SQL
 * cannot make the chain whole again: `verifyChain` finds the first entry that does not follow.
 *
 * A chain is one sequence (`seq` 1, 2, 3 …) per tenant, per partner, or for the platform.
 * Deleting the newest entries leaves a chain that is whole but short; the chain's head
 * (sequence and hash of its newest entry, kept beside it) catches that.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../jobs/signing.js';

/** `prev_hash` of a chain's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers: everything it says, in a fixed shape. */
export interface AuditFacts {
  chain: string;
  seq: number;
  id: string;
  occurredAt: string;
  actor: { id: string; kind: string; roles: readonly string[] };
  requestId: string | null;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

export interface ChainedEntry extends AuditFacts {
  prevHash: string;
  hash: string;
}

export function entryHash(key: Buffer, prevHash: string, facts: AuditFacts): string {
  return createHmac('sha256', key).update(`${prevHash}\n${canonicalJson(facts)}`).digest('hex');
}

export interface ChainVerification {
  valid: boolean;
  /** Entries read. */
  entries: number;
  /** Sequence number of the first entry that does not follow, or of the missing one. */
  firstBrokenSeq: number | null;
  problem: string | null;
}

/**
 * Checks a chain read in sequence order against its head: sequence numbers without gaps from 1,
 * each entry's `prevHash` the hash before it, each hash what the key makes of the entry, and
 * the newest entry the head's.
 */
export function verifyChain(key: Buffer, entries: readonly ChainedEntry[], head: { seq: number; hash: string } | null): ChainVerification {
  let prevHash = GENESIS_HASH;
  const broken = (seq: number, problem: string): ChainVerification => ({ valid: false, entries: entries.length, firstBrokenSeq: seq, problem });
  for (const [index, entry] of entries.entries()) {
    const expectedSeq = index + 1;
    if (entry.seq !== expectedSeq) return broken(expectedSeq, `entry ${expectedSeq} is missing (the next one read is ${entry.seq})`);
    if (entry.prevHash !== prevHash) return broken(entry.seq, `entry ${entry.seq} does not follow entry ${entry.seq - 1}`);
    const { prevHash: _prev, hash, ...facts } = entry;
    if (!sameHex(hash, entryHash(key, prevHash, facts))) return broken(entry.seq, `entry ${entry.seq} was changed after it was written`);
    prevHash = hash;
  }
  const last = entries.at(-1);
  if (head && (head.seq !== (last?.seq ?? 0) || (last && !sameHex(head.hash, last.hash)))) {
    const seq = Math.min(head.seq, (last?.seq ?? 0) + 1);
    return broken(seq, `the chain ends at entry ${last?.seq ?? 0}, its head says ${head.seq}: newer entries were removed`);
  }
  return { valid: true, entries: entries.length, firstBrokenSeq: null, problem: null };
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
