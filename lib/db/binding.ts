/**
 * The tenant binding: the one value a transaction's row-level security trusts.
 *
 * `Database.withTenant` sets `caregraph.binding` to
 * `<access>|<tenant id>|<partner id>|<backend pid>|<expires, epoch s>|<HMAC-SHA256 hex>`,
 * keyed with a secret the application role cannot read (it lives in the owner-only table
 * `caregraph.binding_key`, and reaches the services out of band). The policy helpers
 * (`caregraph.current_tenant_id()` and co., see roles.ts) verify it with the built-in
 * `sha256()`, so no extension is needed: the table holds the key already XORed with HMAC's
 * inner and outer pads, and
 * HMAC(k, m) = sha256(outer || sha256(inner || m)). The backend pid ties a value to the
 * connection it was made for (another connection that reads it cannot replay it) and the
 * expiry bounds it in time.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Config } from '../config.js';
import { resolveSecret } from '../secret-file.js';

/** How long a binding stays valid after it is made: covers clock skew between hosts, no more. */
export const BINDING_TTL_SECONDS = 60;

/** File of the generated key in the data folder, when DATABASE_BINDING_KEY is unset. */
export const BINDING_KEY_FILE = 'database-binding.key';

const BLOCK_SIZE = 64;

export type BindingAccess = 'tenant' | 'platform' | 'partner';

export interface BindingClaims {
  access: BindingAccess;
  /** Tenant id at tenant level, '' otherwise. */
  tenantId: string;
  /** Partner id at partner level, '' otherwise. */
  partnerId: string;
  /** `pg_backend_pid()` of the connection the binding is for. */
  pid: number;
  /** Epoch seconds after which the database refuses it. */
  expiresAt: number;
}

/** The binding key: DATABASE_BINDING_KEY, or the one generated into the data folder. */
export function resolveBindingKey(config: Config): string {
  return resolveSecret({ configured: config.database.bindingKey, dataDir: config.dataDir, file: BINDING_KEY_FILE });
}

/** The value of `caregraph.binding` for `claims`, signed with `key`. */
export function signBinding(key: string, claims: BindingClaims): string {
  const payload = `${claims.access}|${claims.tenantId}|${claims.partnerId}|${claims.pid}|${claims.expiresAt}`;
  return `${payload}|${createHmac('sha256', key).update(payload).digest('hex')}`;
}

/**
 * HMAC's two padded keys (RFC 2104), as stored in `caregraph.binding_key`: with them the
 * database computes the same HMAC as node:crypto from two plain SHA-256 calls.
 */
export function bindingPads(key: string): { inner: Buffer; outer: Buffer } {
  let block = Buffer.from(key, 'utf8');
  if (block.length > BLOCK_SIZE) block = createHash('sha256').update(block).digest();
  const padded = Buffer.alloc(BLOCK_SIZE);
  block.copy(padded);
  return {
    inner: Buffer.from(padded.map((byte) => byte ^ 0x36)),
    outer: Buffer.from(padded.map((byte) => byte ^ 0x5c)),
  };
}
