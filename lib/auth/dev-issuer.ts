/**
 * The development issuer: the platform's own JWT issuer for the embedded default, so tokens
 * can be minted without an identity provider. Its ES256 key pair is generated once into the
 * data folder; the gateway publishes the public key at /.well-known/jwks.json and verifies
 * tokens exactly as it would against an external JWKS.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Config } from '../config.js';
import { DEFAULT_ROLE_SCOPES, type Role } from '../policy/spec.js';

const ALG = 'ES256';

interface KeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TokenRequest {
  subject: string;
  roles: Role[];
  /** The tenant a tenant-bound user belongs to. */
  tenantId?: string | null;
  /** The partner a partner admin belongs to. */
  partnerId?: string | null;
  /** Defaults to the roles' default scopes. */
  scopes?: string[];
  ttlSeconds?: number;
}

export class DevIssuer {
  private constructor(
    private readonly keys: KeyFile,
    private readonly issuer: string,
    private readonly audience: string,
  ) {}

  /** Loads the key pair from the data folder, creating it on first use. */
  static async open(config: Config): Promise<DevIssuer> {
    const file = path.join(config.dataDir, 'dev-issuer-keys.json');
    let keys: KeyFile;
    try {
      keys = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
    } catch {
      const pair = await generateKeyPair(ALG, { extractable: true });
      const kid = randomUUID();
      keys = {
        kid,
        privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: ALG, use: 'sig' },
        publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: ALG, use: 'sig' },
      };
      fs.mkdirSync(config.dataDir, { recursive: true });
      try {
        fs.writeFileSync(file, JSON.stringify(keys), { mode: 0o600, flag: 'wx' });
      } catch {
        keys = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile; // another process won the race
      }
    }
    return new DevIssuer(keys, config.auth.issuer, config.auth.audience);
  }

  /** The public key set served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.keys.publicJwk] };
  }

  async mint(request: TokenRequest): Promise<string> {
    const scopes = request.scopes ?? [...new Set(request.roles.flatMap((role) => DEFAULT_ROLE_SCOPES[role]))];
    const claims: Record<string, unknown> = { roles: request.roles, scope: scopes.join(' ') };
    if (request.tenantId) claims.tenant_id = request.tenantId;
    if (request.partnerId) claims.partner_id = request.partnerId;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(request.subject)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${request.ttlSeconds ?? 3600}s`)
      .setJti(randomUUID())
      .sign(await importJWK(this.keys.privateJwk, ALG));
  }
}
