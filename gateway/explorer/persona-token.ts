/**
 * `POST /dev/persona-token {"persona": "analyst"}`: a 15-minute development token for one of
 * the demo personas, so the explorer can sign in as each kind of user without pasting
 * anything. Development only: the route exists only when the gateway runs the development
 * issuer, never when NODE_ENV=production (`personaTokenRoute` refuses to make it there), and it
 * answers callers on this machine only — a gateway listening on another interface must not
 * hand platform-admin tokens to its network. Tenant A and the demo partner come from the
 * demo credentials `npm start` writes (scripts/demo-credentials.ts).
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { DevIssuer } from '../../lib/auth/dev-issuer.js';
import type { Config } from '../../lib/config.js';
import { BadUserInputError, MethodNotAllowedError, NotFoundError, UnauthenticatedError } from '../../lib/errors.js';
import type { PlainRoute } from '../../lib/http/apollo-http.js';
import { isUuid } from '../../lib/ids.js';
import type { Role } from '../../lib/policy/spec.js';
import type { DemoCredentials } from '../../scripts/demo-credentials.js';

export const PERSONA_TOKEN_PATH = '/dev/persona-token';
/** Long enough for a session of exploring, short enough that a copied token soon stops working. */
export const PERSONA_TOKEN_TTL_SECONDS = 15 * 60;

export interface Persona {
  id: string;
  label: string;
  subject: string;
  roles: Role[];
  /** Where the token puts its holder: across tenants, in tenant A, or at the demo partner. */
  acts: 'platform' | 'tenant' | 'partner';
}

/** The demo personas, in the order the explorer offers them. */
export const PERSONAS: readonly Persona[] = [
  { id: 'platform-admin', label: 'Platform admin', subject: 'demo-platform-admin', roles: ['platform_admin'], acts: 'platform' },
  { id: 'tenant-admin', label: 'Tenant admin (tenant A)', subject: 'demo-tenant-admin-a', roles: ['tenant_admin'], acts: 'tenant' },
  { id: 'clinician', label: 'Clinician (tenant A)', subject: 'demo-clinician-a', roles: ['clinician'], acts: 'tenant' },
  { id: 'biller', label: 'Biller (tenant A)', subject: 'demo-biller-a', roles: ['biller'], acts: 'tenant' },
  { id: 'analyst', label: 'Analyst', subject: 'demo-analyst', roles: ['analyst'], acts: 'platform' },
  { id: 'partner', label: 'Partner admin (demo partner)', subject: 'demo-partner-admin', roles: ['partner_admin'], acts: 'partner' },
];

/** Whether this gateway offers persona tokens: the development issuer, and never production. */
export function offersPersonaTokens(config: Pick<Config, 'env' | 'auth'>): boolean {
  return config.env !== 'production' && config.auth.mode === 'dev';
}

/** Tenant A and the demo partner, from `<dataDir>/demo-credentials.json`; null when it is missing or unreadable. */
export function readDemoFleetIds(dataDir: string): { tenantA: string; partnerId: string } | null {
  let credentials: Partial<DemoCredentials>;
  try {
    credentials = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as Partial<DemoCredentials>;
  } catch {
    return null;
  }
  const tenantA = credentials.tenants?.a;
  const partnerId = credentials.principals?.partnerAdmin?.partnerId;
  return isUuid(tenantA) && isUuid(partnerId) ? { tenantA, partnerId } : null;
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

/**
 * The route. Throws (at start, so the gateway does not start) when asked for in production or
 * without the development issuer; use `offersPersonaTokens` to decide whether to mount it.
 */
export function personaTokenRoute(config: Pick<Config, 'env' | 'auth' | 'dataDir'>, issuer: Pick<DevIssuer, 'mint'>): PlainRoute {
  if (config.env === 'production') throw new Error(`${PERSONA_TOKEN_PATH} is for development only: it never exists when NODE_ENV=production`);
  if (config.auth.mode !== 'dev') throw new Error(`${PERSONA_TOKEN_PATH} needs the development issuer (AUTH_JWKS_URL unset)`);
  return async (req: http.IncomingMessage, body?: unknown) => {
    if (req.method !== 'POST') throw new MethodNotAllowedError(`Send POST ${PERSONA_TOKEN_PATH} {"persona": "…"}`);
    if (!isLoopback(req.socket.remoteAddress)) throw new UnauthenticatedError('Persona tokens are issued to callers on the gateway’s own machine only');
    const asked = (body as { persona?: unknown } | undefined)?.persona;
    const persona = PERSONAS.find((candidate) => candidate.id === asked);
    if (!persona) {
      throw new BadUserInputError(`Unknown persona ${JSON.stringify(asked ?? null)}: one of ${PERSONAS.map((known) => known.id).join(', ')}`, {
        argument: 'persona',
      });
    }
    let bound: { tenantId?: string; partnerId?: string } = {};
    if (persona.acts !== 'platform') {
      const ids = readDemoFleetIds(config.dataDir);
      if (!ids) throw new NotFoundError(`No demo credentials for the ${persona.label}: \`npm start\` writes them into the data folder`);
      bound = persona.acts === 'tenant' ? { tenantId: ids.tenantA } : { partnerId: ids.partnerId };
    }
    const expiresAt = new Date(Date.now() + PERSONA_TOKEN_TTL_SECONDS * 1000).toISOString();
    const token = await issuer.mint({ subject: persona.subject, roles: persona.roles, ttlSeconds: PERSONA_TOKEN_TTL_SECONDS, ...bound });
    return {
      status: 200,
      body: { persona: persona.id, label: persona.label, token, expiresAt, ...bound },
      headers: { 'cache-control': 'no-store' },
    };
  };
}
