/**
 * The shape of partner API keys and the contract of their lookup, shared by tenancy (which
 * issues and stores them) and the gateway (which checks presented keys).
 *
 * A key is `cgk_<8 hex>_<43 base64url>_<6 base64url>`: a public prefix shown in listings, 256
 * random bits, and a checksum (the first 36 bits of the SHA-256 of everything before it, as
 * GitHub's tokens carry a CRC32). The checksum is not a secret and proves nothing about a key;
 * it lets the gateway refuse a random or mistyped key without asking the database, so
 * unauthenticated traffic costs no transaction. Only the SHA-256 of the whole key is stored.
 *
 * Keys of the earlier shape (no checksum) are no longer accepted: they were issued only in
 * development, and accepting a shape without a checksum would reopen the lookup to any random
 * string of that shape. `npm start` issues a fresh demo key; other old keys can be rotated.
 */
import { createHash, randomBytes } from 'node:crypto';

const KEY_PATTERN = /^(cgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43})_([A-Za-z0-9_-]{6})$/;
const CHECKSUM_LENGTH = 6;

/** SHA-256 of a presented key, the only form in which keys are stored or compared. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** The checksum of a key's body (prefix and random part): 6 base64url characters, 36 bits. */
export const apiKeyChecksum = (body: string): string =>
  createHash('sha256').update(body).digest('base64url').slice(0, CHECKSUM_LENGTH);

/**
 * Whether a string is a well-formed CareGraph API key with a correct checksum: the check the
 * gateway makes before any lookup. A random string passes with odds of 1 in 2^36.
 */
export function looksLikeApiKey(key: string): boolean {
  const match = KEY_PATTERN.exec(key);
  // The checksum is public, so a plain comparison leaks nothing a caller could not compute.
  return match !== null && apiKeyChecksum(match[1]!) === match[2];
}

/** A new random key, its public prefix and its hash. */
export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const prefix = `cgk_${randomBytes(4).toString('hex')}`;
  const body = `${prefix}_${randomBytes(32).toString('base64url')}`;
  const secret = `${body}_${apiKeyChecksum(body)}`;
  return { secret, prefix, hash: hashApiKey(secret) };
}

/** What tenancy's internal lookup answers for a key hash. */
export interface ApiKeyLookup {
  status: 'active' | 'revoked' | 'expired' | 'unknown';
  id?: string;
  partnerId?: string;
  /** The key's scopes narrowed to what its partner is allowed now. */
  scopes?: string[];
  /** The key may run trusted documents only (schema/operations). */
  safelistOnly?: boolean;
  expiresAt?: string;
}
