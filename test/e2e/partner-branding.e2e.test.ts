/**
 * A partner's white-label branding: its own admins and platform admins edit it, nobody else;
 * every value is checked before anything is written; a custom domain belongs to one partner;
 * each edit is in the partner's audit chain (which fields, not their values); and a tenant sees
 * its partner's branding.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARTNERS } from '../../lib/demo/fleet.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { adminClient, bearer, graphql, startTestPlatform } from '../support/platform.js';

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.close());

/** The second demo partner: the isolation suites use the first. */
const PARTNER = DEMO_PARTNERS[1]!;
const OTHER = DEMO_PARTNERS[0]!;
const UPDATE = `mutation U($p: ID!, $input: PartnerBrandingInput!) {
  updatePartnerBranding(partnerId: $p, input: $input) { id branding { brandName primaryColor accentColor logoUrl supportEmail supportUrl customDomain updatedAt } }
}`;
type Updated = { updatePartnerBranding: { id: string; branding: Record<string, string | null> } };
const update = async (partnerId: string, input: Record<string, unknown>, headers: Record<string, string>) =>
  graphql<Updated>(platform.gateway.url, UPDATE, { variables: { p: partnerId, input }, headers });
const ownAdmin = () => bearer(['partner_admin'], { partnerId: PARTNER.id, subject: 'branding-partner-admin' });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

describe('partner branding', () => {
  it('is edited by the partner’s own admins, audited by field, and seen by its tenants', async () => {
    const domain = `portal-${randomUUID().slice(0, 8)}.example.com`;
    const response = await update(PARTNER.id, { primaryColor: '#0a7d4f', logoUrl: 'https://cdn.example.com/logo.svg', supportEmail: 'help@example.com', customDomain: domain }, await ownAdmin());
    expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
    expect(response.body.data!.updatePartnerBranding.branding).toMatchObject({ primaryColor: '#0a7d4f', customDomain: domain, brandName: expect.any(String) as unknown });

    const client = await adminClient();
    try {
      const { rows } = await client.query<{ detail: { fields: string[] }; actor_id: string }>(
        "SELECT detail, actor_id FROM tenancy.audit_log WHERE partner_id = $1 AND action = 'partner.branding-updated' ORDER BY occurred_at DESC LIMIT 1",
        [PARTNER.id],
      );
      expect(rows[0]!.detail).toEqual({ fields: ['primaryColor', 'logoUrl', 'supportEmail', 'customDomain'] });
      const { rows: [tenant] } = await client.query<{ id: string }>('SELECT id FROM tenancy.tenants WHERE partner_id = $1 ORDER BY slug LIMIT 1', [PARTNER.id]);
      const seen = await graphql<{ tenant: { partner: { branding: { primaryColor: string } } } }>(
        platform.gateway.url,
        'query T($id: ID!) { tenant(id: $id) { partner { branding { primaryColor } } } }',
        { variables: { id: tenant!.id }, headers: await bearer(['tenant_admin'], { tenantId: tenant!.id }) },
      );
      expect(seen.body.data!.tenant.partner.branding.primaryColor).toBe('#0a7d4f');
    } finally {
      await client.end();
    }
  });

  it('refuses another partner’s admin, a tenant admin, and bad values, writing nothing', async () => {
    const before = await update(PARTNER.id, { accentColor: '#112233' }, await bearer(['platform_admin']));
    expect(before.body.errors).toBeUndefined();
    expect(codesOf(await update(PARTNER.id, { accentColor: '#445566' }, await bearer(['partner_admin'], { partnerId: OTHER.id })))).toEqual(['INSUFFICIENT_SCOPE']);
    for (const [field, value] of [
      ['primaryColor', 'green'],
      ['logoUrl', 'http://insecure.example.com/logo.png'],
      ['supportEmail', 'not-an-address'],
      ['customDomain', 'Not A Domain'],
      ['brandName', ''],
    ] as const) {
      const response = await update(PARTNER.id, { accentColor: '#778899', [field]: value }, await ownAdmin());
      expect(codesOf(response), field).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors![0]!.extensions!.argument).toBe(`input.${field}`);
    }
    const client = await adminClient();
    try {
      const { rows } = await client.query<{ accent_color: string }>('SELECT accent_color FROM tenancy.partners WHERE id = $1', [PARTNER.id]);
      expect(rows[0]!.accent_color).toBe('#112233');
    } finally {
      await client.end();
    }
  });

  it('gives a custom domain to one partner only', async () => {
    const domain = `shared-${randomUUID().slice(0, 8)}.example.com`;
    expect((await update(PARTNER.id, { customDomain: domain }, await ownAdmin())).body.errors).toBeUndefined();
    const taken = await update(OTHER.id, { customDomain: domain }, await bearer(['platform_admin']));
    expect(codesOf(taken)).toEqual(['BAD_USER_INPUT']);
    expect(taken.body.errors![0]!.message).toMatch(/belongs to another partner/);
  });
});
