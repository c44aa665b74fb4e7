/**
 * Who is calling: a user (Bearer JWT verified against the configured issuer, audience and
 * JWKS — or the development issuer's key) or a partner (x-api-key, looked up by hash in
 * tenancy and cached for at most ACCESS_CACHE_SECONDS so revocations apply on every replica
 * within that time). Anything else is UNAUTHENTICATED.
 *
 * Unauthenticated traffic must not cost database work: a key whose checksum does not match is
 * refused before any lookup, and the answers for unknown, revoked and expired keys are cached
 * like good ones, in a cache bounded by entries as well as by time.
 */
import type http from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../lib/config.js';
import { BadUserInputError, TenantForbiddenError, UnauthenticatedError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { DevIssuer } from '../lib/auth/dev-issuer.js';
import { DEFAULT_ROLE_SCOPES, ROLES, type Role } from '../lib/policy/spec.js';
import type { ServiceClient } from '../lib/service-client.js';
import { TtlCache } from '../lib/ttl-cache.js';
import { hashApiKey, looksLikeApiKey, type ApiKeyLookup } from '../lib/auth/api-keys.js';

export interface Principal {
  id: string;
  kind: 'user' | 'api_key';
  roles: Role[];
  scopes: string[];
  /** The tenant a tenant-bound user belongs to. */
  tenantId: string | null;
  /** The partner of a partner admin or an API key. */
  partnerId: string | null;
  /** An API key made safelist-only: it may run trusted documents only. */
  safelistOnly?: boolean;
}

/** Only asymmetric algorithms: an HS256 token "signed" with the public key must never verify. */
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'EdDSA'];
const VERIFIED_TOKEN_TTL_MS = 60_000;
const MAX_VERIFIED_TOKENS = 10_000;
/** Cached key lookups, good and bad: past this, the oldest are dropped (a flood cannot grow memory). */
const MAX_CACHED_KEY_LOOKUPS = 10_000;

export class Authenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly apiKeys: TtlCache<ApiKeyLookup>;
  private readonly members: TtlCache<{ member: { status: string; roles: Role[] } | null }>;
  private readonly verified = new TtlCache<Principal & { expiresAt: number }>(VERIFIED_TOKEN_TTL_MS, MAX_VERIFIED_TOKENS);

  constructor(
    private readonly config: Config,
    private readonly services: ServiceClient,
    devIssuer: DevIssuer | undefined,
  ) {
    if (config.auth.mode === 'jwks') this.keys = createRemoteJWKSet(new URL(config.auth.jwksUrl));
    else if (devIssuer) this.keys = createLocalJWKSet(devIssuer.jwks());
    else throw new Error('The development issuer is required when AUTH_JWKS_URL is unset');
    this.apiKeys = new TtlCache(config.accessCacheSeconds * 1000, MAX_CACHED_KEY_LOOKUPS);
    this.members = new TtlCache(config.accessCacheSeconds * 1000, MAX_CACHED_KEY_LOOKUPS);
  }

  async authenticate(req: http.IncomingMessage): Promise<Principal> {
    const authorization = req.headers.authorization;
    const apiKey = req.headers['x-api-key'];
    if (authorization && apiKey) throw new BadUserInputError('Send either Authorization or x-api-key, not both');
    if (typeof authorization === 'string') {
      const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(authorization);
      if (!match) throw new UnauthenticatedError('Authorization must be "Bearer <token>"');
      return this.withMembership(await this.verifyToken(match[1]!));
    }
    if (typeof apiKey === 'string') return this.verifyApiKey(apiKey);
    throw new UnauthenticatedError('Authentication required: send a Bearer token or an x-api-key');
  }

  private verifyToken(token: string): Promise<Principal> {
    // A token's signature is checked once; the same string is then trusted until it expires
    // (at most VERIFIED_TOKEN_TTL_MS), which saves an ECDSA verification per request.
    return this.verified.get(token, () => this.verifyTokenSignature(token), (principal) => principal.expiresAt * 1000);
  }

  private async verifyTokenSignature(token: string): Promise<Principal & { expiresAt: number }> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 5,
      }));
    } catch (error) {
      throw new UnauthenticatedError(error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Invalid token');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => ROLES.includes(r as Role)) : [];
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    const tenantId = isUuid(payload.tenant_id) ? payload.tenant_id.toLowerCase() : null;
    const partnerId = isUuid(payload.partner_id) ? payload.partner_id.toLowerCase() : null;
    return { id: `user:${String(payload.sub)}`, kind: 'user', roles, scopes, tenantId, partnerId, expiresAt: Number(payload.exp) };
  }

  /**
   * A user who is a member of the token's tenant (tenancy's `tenant_members`) acts with the roles
   * held there, and their default scopes, whatever the token claims; a deactivated member is
   * refused. Users without a membership (the development issuer's personas, an identity
   * provider that asserts roles itself) keep the token's. Looked up per ACCESS_CACHE_SECONDS,
   * so a deactivation or a role change reaches every replica within it.
   */
  private async withMembership(principal: Principal & { expiresAt?: number }): Promise<Principal> {
    const { expiresAt: _expiresAt, ...user } = principal;
    if (!user.tenantId) return user;
    const { member } = await this.members.get(`${user.tenantId} ${user.id}`, () =>
      this.services.get<{ member: { status: string; roles: Role[] } | null }>('tenancy', 'member', { tenantId: user.tenantId!, principalId: user.id }),
    );
    if (!member) return user;
    if (member.status !== 'active') throw new TenantForbiddenError('Your membership of this tenant is deactivated');
    return { ...user, roles: member.roles, scopes: [...new Set(member.roles.flatMap((role) => DEFAULT_ROLE_SCOPES[role] ?? []))] };
  }

  private async verifyApiKey(key: string): Promise<Principal> {
    // Shape and checksum: a random or mistyped key ends here, with no call to tenancy.
    if (!looksLikeApiKey(key)) throw new UnauthenticatedError('Invalid API key');
    const hash = hashApiKey(key);
    const found = await this.apiKeys.get(hash, () => this.services.get<ApiKeyLookup>('tenancy', 'api-key', { hash }));
    if (found.status !== 'active' || !found.id || !found.partnerId) {
      throw new UnauthenticatedError(found.status === 'unknown' ? 'Invalid API key' : `API key ${found.status}`);
    }
    return {
      id: `api_key:${found.id}`,
      kind: 'api_key',
      roles: [],
      scopes: found.scopes ?? [],
      tenantId: null,
      partnerId: found.partnerId,
      safelistOnly: found.safelistOnly === true,
    };
  }
}
