/**
 * The simulators' one source of chance: a small seeded PRNG (mulberry32) started from a hash of
 * everything an outcome may depend on — the seed, the system, whom the request is about, how many
 * times it was asked. The same inputs give the same draws on every run and machine (no
 * Math.random, no clock), so a test can pin exact counts and a failure seen once replays.
 */

/** A stream of draws, each uniform in [0, 1). */
export type Draws = () => number;

/**
 * 32-bit FNV-1a of the string's UTF-16 code units, finished with murmur3's fmix32: FNV alone
 * leaves strings that differ only in their last characters (claim-1, claim-2) close together.
 */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** mulberry32 (Tommy Ettinger): a 32-bit state, good enough spread for simulated outcomes, and tiny. */
export function mulberry32(seed: number): Draws {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/**
 * The draws that belong to `parts` under `seed`, and to nothing else. The parts are encoded as
 * JSON, so that ('a-b', 'c') and ('a', 'b-c') never share a stream.
 */
export function drawsFor(seed: number, ...parts: readonly (string | number)[]): Draws {
  return mulberry32(hash32(JSON.stringify([seed, ...parts])));
}

/** One item of a non-empty list, chosen by the next draw. */
export function pick<T>(draws: Draws, items: readonly [T, ...T[]]): T {
  return items[Math.floor(draws() * items.length)] ?? items[0];
}

/** Upper-case letters and digits without the look-alikes 0/O and 1/I: ids read aloud over the phone stay unambiguous. */
const ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A `length`-character id from the next draws, as payers and EHRs hand out (PCN-7KQ2…). */
export function idFrom(draws: Draws, length: number): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ID_ALPHABET[Math.floor(draws() * ID_ALPHABET.length)];
  return id;
}
