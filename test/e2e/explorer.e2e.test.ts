/**
 * The explorer's gateway side against the running platform, with the demo credentials written
 * as `npm start` writes them: each persona gets a token from the development route, and every
 * saved example of that persona (gateway/explorer/examples/) runs for it on the demo data
 * without an error — at the persona's own level, and inside tenant A for the analyst. A
 * browser opening /graphql is sent to the explorer. The page itself is driven in a browser by
 * test/browser/explorer.browser.test.ts (`npm run test:browser`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExamples } from '../../gateway/explorer/examples.js';
import { PERSONA_TOKEN_PATH, PERSONA_TOKEN_TTL_SECONDS, PERSONAS } from '../../gateway/explorer/persona-token.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { createDemoCredentials, writeDemoCredentials, type DemoCredentials } from '../../scripts/demo-credentials.js';
import { adminClient, adminUrl, graphql, startTestPlatform, testConfig } from '../support/platform.js';

let platform: InProcessPlatform;
let credentials: DemoCredentials;
let base: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  base = new URL(platform.gateway.url).origin;
  const config = testConfig();
  credentials = await createDemoCredentials(config, adminUrl(), platform.gateway.url);
  writeDemoCredentials(config, credentials);
});
afterAll(async () => {
  // The demo key counts against the demo partner's live keys, which other suites issue too.
  const admin = await adminClient();
  await admin.query("UPDATE tenancy.api_keys SET revoked_at = now() WHERE name = 'demo-credentials' AND revoked_at IS NULL").finally(() => admin.end());
  await platform?.close();
});

async function personaToken(persona: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${PERSONA_TOKEN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ persona }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('persona tokens', () => {
  it('mints a 15-minute token bound to tenant A or the demo partner as the persona needs', async () => {
    const clinician = await personaToken('clinician');
    expect(clinician.status).toBe(200);
    expect(clinician.body).toMatchObject({ persona: 'clinician', label: 'Clinician (tenant A)', tenantId: credentials.tenants.a, token: expect.any(String) });
    const claims = JSON.parse(Buffer.from(String(clinician.body.token).split('.')[1]!, 'base64url').toString('utf8')) as { exp: number; iat: number; roles: string[] };
    expect(claims.exp - claims.iat).toBe(PERSONA_TOKEN_TTL_SECONDS);
    expect(claims.roles).toEqual(['clinician']);
    expect((await personaToken('partner')).body).toMatchObject({ partnerId: credentials.principals.partnerAdmin.partnerId });
  });

  it('refuses an unknown persona with 400 BAD_USER_INPUT naming the known ones', async () => {
    const answer = await personaToken('nurse');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      errors: [{ message: `Unknown persona "nurse": one of ${PERSONAS.map((persona) => persona.id).join(', ')}`, extensions: { code: 'BAD_USER_INPUT', argument: 'persona' } }],
    });
  });
});

describe('the saved examples', () => {
  const groups = readExamples();

  it('cover every persona', () => {
    expect(groups.map((group) => group.persona).sort()).toEqual(PERSONAS.map((persona) => persona.id).sort());
  });

  for (const group of groups) {
    for (const example of group.examples) {
      it(`${group.persona}/${example.name} runs for its persona without an error`, async () => {
        const minted = await personaToken(group.persona);
        const headers: Record<string, string> = { authorization: `Bearer ${String(minted.body.token)}`, 'x-purpose-of-use': 'treatment' };
        // Each at the persona's own level; the analyst's inside tenant A too, as an analyst
        // picks a tenant in the explorer (the platform admin's are platform-level reviews).
        const scopes: Record<string, string>[] = group.persona === 'analyst' ? [{}, { 'x-tenant-id': credentials.tenants.a }] : [{}];
        for (const scope of scopes) {
          const response = await graphql(platform.gateway.url, example.query, { headers: { ...headers, ...scope } });
          expect(response.body.errors, `${JSON.stringify(scope)}: ${response.text}`).toBeUndefined();
          expect(response.status).toBe(200);
          expect(Object.values(response.body.data ?? {}).every((value) => value !== null)).toBe(true);
        }
      });
    }
  }
});

describe('a browser opening the API', () => {
  it('is redirected to the explorer, while other GETs are still refused', async () => {
    const page = await fetch(platform.gateway.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/graphiql');
    const api = await fetch(`${platform.gateway.url}?query=%7B__typename%7D`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(405);
  });

  it('gets the personas and examples the page offers', async () => {
    const settings = (await (await fetch(`${base}/graphiql/explorer.json`)).json()) as { personas: { id: string }[]; examples: unknown[] };
    expect(settings.personas.map((persona) => persona.id)).toEqual(PERSONAS.map((persona) => persona.id));
    expect(settings.examples).toEqual(readExamples());
  });
});
