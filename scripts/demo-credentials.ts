/**
 * Demo credentials for the running platform: development tokens for each kind of user and a
 * fresh partner API key, written to `<data folder>/demo-credentials.json` by `npm start`.
 * Tenant A is on the standard plan and attributed to the first demo partner; tenant B is not
 * attributed to that partner. Tokens last 12 hours; restart to renew.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DevIssuer } from '../lib/auth/dev-issuer.js';
import type { Config } from '../lib/config.js';
import { clientTx } from '../lib/db/index.js';
import { asOwner } from '../lib/db/owner.js';
import { insertApiKey } from '../subgraphs/tenancy/api-keys.js';
import { DEMO_PARTNERS } from '../lib/demo/fleet.js';

const TOKEN_TTL_SECONDS = 12 * 3600;
const DEMO_KEY_NAME = 'demo-credentials';
/** The demo's safelist-only key: trusted documents only (schema/operations). */
const DEMO_SAFELIST_KEY_NAME = 'demo-credentials-safelist-only';
export const DEMO_PARTNER_SCOPES = ['tenant:read', 'billing:read', 'telemetry:read'];

export interface DemoCredentials {
  gateway: string;
  tenants: { a: string; b: string };
  principals: {
    platformAdmin: { token: string };
    tenantAdminA: { token: string; tenantId: string };
    clinicianA: { token: string; tenantId: string };
    billerA: { token: string; tenantId: string };
    analyst: { token: string };
    partnerAdmin: { token: string; partnerId: string };
    partner: { apiKey: string; partnerId: string; tenants: string[]; scopes: string[] };
    /** The same partner's key made safelist-only: it runs trusted documents only. */
    partnerSafelistOnly: { apiKey: string; partnerId: string; scopes: string[] };
  };
}

/** What demo material `npm start` provides; `notice` says why when it provides none. */
export interface DemoPlan {
  /** Seed the demo fleet (only into an empty database). */
  seed: boolean;
  /** Issue demo tokens and a partner API key, and write them to the data folder. */
  credentials: boolean;
  notice?: string;
}

/**
 * Demo data and demo credentials are for a developer's machine: never in production, where
 * a demo partner key would be a real key to real data.
 */
export function demoPlan(env: Config['env'], tenantsInDatabase: number): DemoPlan {
  if (env === 'production') {
    return { seed: false, credentials: false, notice: 'NODE_ENV=production: no demo data is seeded and no demo credentials are issued' };
  }
  return { seed: tenantsInDatabase === 0, credentials: true };
}

/** Issues the demo credentials (refused in production, see `demoPlan`). */
export async function createDemoCredentials(config: Config, adminUrl: string, gatewayUrl: string): Promise<DemoCredentials> {
  if (!demoPlan(config.env, 1).credentials) throw new Error('Demo credentials are never issued when NODE_ENV=production');
  const partner = DEMO_PARTNERS[0]!;
  const { a, b, attributed, apiKey, safelistKey } = await asOwner(
    adminUrl,
    async (client) => {
      const pick = async (sql: string) => (await client.query<{ id: string }>(sql, [partner.id])).rows[0]?.id;
      const a = await pick(
        `SELECT t.id FROM tenants t JOIN erp.subscriptions s ON s.tenant_id = t.id
          WHERE t.partner_id = $1 AND t.status = 'active' AND s.plan_code = 'standard' AND s.status = 'active' ORDER BY t.slug LIMIT 1`,
      );
      const b = await pick(`SELECT t.id FROM tenants t WHERE t.partner_id IS DISTINCT FROM $1 AND t.status = 'active' ORDER BY t.slug LIMIT 1`);
      if (!a || !b) throw new Error('The demo fleet lacks the tenants the demo credentials need; run npm run seed');
      const attributed = (await client.query<{ id: string }>('SELECT id FROM tenants WHERE partner_id = $1 ORDER BY slug', [partner.id])).rows.map((r) => r.id);
      // One live demo key at a time: the previous one is revoked when a new one is issued.
      await client.query('UPDATE api_keys SET revoked_at = now() WHERE name = ANY($1) AND revoked_at IS NULL', [[DEMO_KEY_NAME, DEMO_SAFELIST_KEY_NAME]]);
      const tx = clientTx(client);
      const issued = await insertApiKey(tx, { partnerId: partner.id, name: DEMO_KEY_NAME, scopes: DEMO_PARTNER_SCOPES, expiresInDays: 30, createdBy: 'npm-start' });
      const safelisted = await insertApiKey(tx, {
        partnerId: partner.id,
        name: DEMO_SAFELIST_KEY_NAME,
        scopes: DEMO_PARTNER_SCOPES,
        safelistOnly: true,
        expiresInDays: 30,
        createdBy: 'npm-start',
      });
      return { a, b, attributed, apiKey: issued.secret, safelistKey: safelisted.secret };
    },
    'tenancy',
  );

  const issuer = await DevIssuer.open(config);
  const mint = (subject: string, roles: Parameters<DevIssuer['mint']>[0]['roles'], extra: { tenantId?: string; partnerId?: string } = {}) =>
    issuer.mint({ subject, roles, ttlSeconds: TOKEN_TTL_SECONDS, ...extra });
  return {
    gateway: gatewayUrl,
    tenants: { a, b },
    principals: {
      platformAdmin: { token: await mint('demo-platform-admin', ['platform_admin']) },
      tenantAdminA: { token: await mint('demo-tenant-admin-a', ['tenant_admin'], { tenantId: a }), tenantId: a },
      clinicianA: { token: await mint('demo-clinician-a', ['clinician'], { tenantId: a }), tenantId: a },
      billerA: { token: await mint('demo-biller-a', ['biller'], { tenantId: a }), tenantId: a },
      analyst: { token: await mint('demo-analyst', ['analyst']) },
      partnerAdmin: { token: await mint('demo-partner-admin', ['partner_admin'], { partnerId: partner.id }), partnerId: partner.id },
      partner: { apiKey, partnerId: partner.id, tenants: attributed, scopes: DEMO_PARTNER_SCOPES },
      partnerSafelistOnly: { apiKey: safelistKey, partnerId: partner.id, scopes: DEMO_PARTNER_SCOPES },
    },
  };
}

/** Writes the credentials readable by the current user only. */
export function writeDemoCredentials(config: Config, credentials: DemoCredentials): string {
  const file = path.join(config.dataDir, 'demo-credentials.json');
  // `mode` applies only when the file is created, and one written by an earlier version may be
  // 0644: narrowed before the new tokens go in, so they are never readable by others.
  try {
    fs.chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  return file;
}
