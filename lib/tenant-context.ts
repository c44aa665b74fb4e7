/**
 * The tenant context: who is asking, for which tenant, with which rights. The gateway builds
 * it once per request and forwards it to each subgraph as a short-lived JWS (HS256) whose
 * audience is that subgraph, in the `x-caregraph-context` header. Subgraphs refuse any
 * request whose context is missing, forged, expired or addressed to another subgraph,
 * before executing anything — calling a subgraph directly yields nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from './config.js';
import { ContextInvalidError } from './errors.js';

export const CONTEXT_HEADER = 'x-caregraph-context';
const ISSUER = 'caregraph-gateway';

const contextSchema = z.object({
  requestId: z.string().min(1).max(128),
  /**
   * `tenant`: acting inside one tenant (RLS pins every query to it). `platform`: across tenants
   * (platform staff). `partner`: a partner's own records and attributed tenants' profiles only.
   */
  access: z.enum(['tenant', 'platform', 'partner']),
  tenantId: z.uuid().nullable(),
  principal: z.object({
    id: z.string().min(1),
    kind: z.enum(['user', 'api_key', 'anonymous', 'service']),
    partnerId: z.uuid().nullable().optional(),
  }),
  roles: z.array(z.string()),
  scopes: z.array(z.string()),
  /** Features the tenant holds (plan, add-ons, cohort flags); empty at platform level. */
  entitlements: z.array(z.string()),
  tier: z.string().nullable().optional(),
  cohort: z.string().nullable().optional(),
  /** Declared purpose of use (audited with every PHI read). */
  purpose: z.string().max(500).nullable().optional(),
  /** The caller declared an emergency (break-glass) with `purpose` as its reason. */
  breakGlass: z.boolean().optional(),
});

export type TenantContext = z.infer<typeof contextSchema>;

/**
 * Signs and verifies forwarded contexts with one shared secret: compact JWS, HS256, with
 * `iss`, `aud`, `iat` and `exp`. Done with node:crypto's HMAC directly rather than through
 * jose's WebCrypto path because it runs once per subgraph per request (measured at ~5% of the
 * gateway's CPU through jose); the tokens are standard JWS, and any JOSE library verifies them.
 */
export class ContextSigner {
  private readonly key: Buffer;
  private static readonly HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    if (secret.length < 32) throw new Error('The context signing secret must be at least 32 characters');
    this.key = Buffer.from(secret, 'utf8');
  }

  /** A JWS for one subgraph (`audience`), valid for the configured TTL. */
  async sign(context: TenantContext, audience: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = { ctx: context, iss: ISSUER, aud: audience, iat: now, exp: now + this.ttlSeconds };
    const signingInput = `${ContextSigner.HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signingInput}.${this.mac(signingInput).toString('base64url')}`;
  }

  /**
   * Verifies a forwarded context addressed to `audience`, as found in the request's
   * CONTEXT_HEADER (a repeated header counts as missing); throws ContextInvalidError.
   */
  async verify(headerValue: string | string[] | undefined, audience: string): Promise<TenantContext> {
    const token = typeof headerValue === 'string' ? headerValue : undefined;
    if (!token) throw new ContextInvalidError('Missing tenant context: subgraphs are reached through the gateway');
    const parts = token.split('.');
    if (parts.length !== 3) throw new ContextInvalidError('Tenant context invalid');
    const [header, body, signature] = parts as [string, string, string];
    const expected = this.mac(`${header}.${body}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ContextInvalidError('Tenant context invalid');
    let claims: { ctx?: unknown; iss?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown };
    try {
      if ((JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg !== 'HS256') throw new Error('alg');
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw new ContextInvalidError('Tenant context invalid');
    }
    const now = Math.floor(Date.now() / 1000);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== ISSUER || !audiences.includes(audience)) throw new ContextInvalidError('Tenant context invalid');
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new ContextInvalidError('Tenant context expired');
    if (typeof claims.nbf === 'number' && claims.nbf > now) throw new ContextInvalidError('Tenant context invalid');
    const parsed = contextSchema.safeParse(claims.ctx);
    if (!parsed.success) throw new ContextInvalidError('Tenant context malformed');
    const context = parsed.data;
    if (context.access === 'tenant' && !context.tenantId) {
      throw new ContextInvalidError('Tenant context malformed: tenant access without a tenant');
    }
    if (context.access === 'partner' && !context.principal.partnerId) {
      throw new ContextInvalidError('Tenant context malformed: partner access without a partner');
    }
    return context;
  }

  private mac(input: string): Buffer {
    return createHmac('sha256', this.key).update(input).digest();
  }
}

/**
 * The signing secret: from CONTEXT_SIGNING_SECRET, or generated once into the data folder so
 * that every service started from the same folder agrees on it.
 */
export function resolveSigningSecret(config: Config): string {
  if (config.context.signingSecret) return config.context.signingSecret;
  const file = path.join(config.dataDir, 'context-signing.secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another service created it first: use theirs.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}

/** Creates the signer from the configuration. */
export function createContextSigner(config: Config): ContextSigner {
  return new ContextSigner(resolveSigningSecret(config), config.context.ttlSeconds);
}

/**
 * Whether the request may read data of `tenantId`: any tenant at platform level, only its own
 * at tenant level. Row-level security enforces the same in the database; resolvers use this to
 * answer `null` (not an empty value) for another tenant's entity reference.
 */
export function mayActOnTenant(context: Pick<TenantContext, 'access' | 'tenantId'>, tenantId: string): boolean {
  return context.access === 'platform' || (context.access === 'tenant' && context.tenantId === tenantId);
}
