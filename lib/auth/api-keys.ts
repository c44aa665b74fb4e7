/**
 * The shape of partner API keys and the contract of their lookup, shared by tenancy (which
 * issues and stores them) and the gateway (which checks presented keys).
 * A key is `cgk_<8 hex>_<43 base64url>`: the first part is a public prefix shown in listings,
 * the rest 256 random bits. Only the SHA-256 of the whole key is stored.
 */
import { createHash, randomBytes } from 'node:crypto';

const KEY_PATTERN = /^cgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

/** SHA-256 of a presented key, the only form in which keys are stored or compared. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Whether a string has the shape of a CareGraph API key (a cheap check before any lookup). */
export const looksLikeApiKey = (key: string): boolean => KEY_PATTERN.test(key);

/** A new random key, its public prefix and its hash. */
export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const prefix = `cgk_${randomBytes(4).toString('hex')}`;
  const secret = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { secret, prefix, hash: hashApiKey(secret) };
}

/** What tenancy's internal lookup answers for a key hash. */
export interface ApiKeyLookup {
  status: 'active' | 'revoked' | 'expired' | 'unknown';
  id?: string;
  partnerId?: string;
  scopes?: string[];
  expiresAt?: string;
}
