/**
 * White-label partners, resolved in batches (a tenant sees only its own partner), and their
 * branding, which the platform or the partner's own admins edit (audited in the partner's chain).
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import { appendAudit } from './audit.js';
import type { TenancyContext } from './context.js';

export interface PartnerRow {
  id: string;
  slug: string;
  name: string;
  brand_name: string;
  /** Scopes the partner's API keys may carry (set by the platform). */
  allowed_scopes: string[];
  primary_color: string | null;
  accent_color: string | null;
  logo_url: string | null;
  support_email: string | null;
  support_url: string | null;
  custom_domain: string | null;
  branding_updated_at: Date | null;
}

const COLUMNS = 'id, slug, name, brand_name, allowed_scopes, primary_color, accent_color, logo_url, support_email, support_url, custom_domain, branding_updated_at';

/** What a branding field may hold: checked here with a message, and again by the table's constraints. */
const BRANDING_FIELDS = {
  brandName: { column: 'brand_name', test: (v: string) => v.length >= 1 && v.length <= 100, rule: '1–100 characters' },
  primaryColor: { column: 'primary_color', test: (v: string) => /^#[0-9a-f]{6}$/.test(v), rule: 'a colour as #rrggbb (lowercase)' },
  accentColor: { column: 'accent_color', test: (v: string) => /^#[0-9a-f]{6}$/.test(v), rule: 'a colour as #rrggbb (lowercase)' },
  logoUrl: { column: 'logo_url', test: (v: string) => /^https:\/\/\S{1,300}$/.test(v), rule: 'an https:// URL' },
  supportEmail: { column: 'support_email', test: (v: string) => /^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}$/.test(v), rule: 'an e-mail address' },
  supportUrl: { column: 'support_url', test: (v: string) => /^https:\/\/\S{1,300}$/.test(v), rule: 'an https:// URL' },
  customDomain: {
    column: 'custom_domain',
    test: (v: string) => /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$/.test(v) && v.length <= 253,
    rule: 'a lowercase domain name such as portal.example.com',
  },
} as const;
type BrandingInput = Partial<Record<keyof typeof BRANDING_FIELDS, string | null>>;

async function updateBranding(ctx: TenancyContext, partnerId: string, input: BrandingInput): Promise<PartnerRow> {
  const platformAdmin = ctx.tenant.access === 'platform' && ctx.tenant.roles.includes('platform_admin');
  const ownAdmin = ctx.tenant.roles.includes('partner_admin') && ctx.tenant.principal.partnerId === partnerId;
  if (!platformAdmin && !ownAdmin) throw new InsufficientScopeError('Only platform admins or the partner’s own admins edit its branding');
  const sets: string[] = [];
  const values: unknown[] = [partnerId];
  const changed: string[] = [];
  for (const [field, spec] of Object.entries(BRANDING_FIELDS) as [keyof typeof BRANDING_FIELDS, (typeof BRANDING_FIELDS)[keyof typeof BRANDING_FIELDS]][]) {
    if (!(field in input)) continue;
    const raw = input[field];
    const value = typeof raw === 'string' ? raw.trim() : null;
    if (value === null || value === '') {
      if (field === 'brandName') throw new BadUserInputError('input.brandName cannot be cleared', { argument: 'input.brandName' });
    } else if (!spec.test(value)) {
      throw new BadUserInputError(`input.${field} must be ${spec.rule}`, { argument: `input.${field}` });
    }
    values.push(value || null);
    sets.push(`${spec.column} = $${values.length}`);
    changed.push(field);
  }
  if (sets.length === 0) throw new BadUserInputError('Give at least one branding field to change', { argument: 'input' });
  return ctx.db.withTenant(ctx.tenant, async (tx) => {
    let row: PartnerRow | undefined;
    try {
      [row] = await tx.query<PartnerRow>(`UPDATE partners SET ${sets.join(', ')}, branding_updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, values);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new BadUserInputError('That custom domain belongs to another partner', { argument: 'input.customDomain' });
      throw error;
    }
    if (!row) throw new NotFoundError('No such partner');
    // Which fields changed, not their values: a partner's contact details are its own business.
    await appendAudit(tx, ctx.db.deriveKey('audit'), ctx.tenant, { owner: { partnerId }, action: 'partner.branding-updated', target: `partner:${partnerId}`, detail: { fields: changed } });
    return row;
  });
}

export async function fetchPartnersByIds(tx: Tx, ids: readonly string[]): Promise<PartnerRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<PartnerRow>(`SELECT ${COLUMNS} FROM partners WHERE id = ANY($1::uuid[])`, [valid]);
}

export const partnerResolvers = {
  Query: {
    partners: (_: unknown, __: unknown, ctx: TenancyContext) => ctx.db.withTenant(ctx.tenant, fetchVisiblePartners),
  },
  Mutation: {
    updatePartnerBranding: (_: unknown, args: { partnerId: string; input: BrandingInput }, ctx: TenancyContext) =>
      updateBranding(ctx, requireUuid(args.partnerId, 'partnerId'), args.input),
  },
  Partner: {
    __resolveReference(reference: { id: string }, ctx: TenancyContext) {
      return ctx.loaders.partnerById.load(reference.id);
    },
    brandName: (row: PartnerRow) => row.brand_name,
    allowedScopes: (row: PartnerRow) => row.allowed_scopes,
    branding: (row: PartnerRow) => ({
      brandName: row.brand_name,
      primaryColor: row.primary_color,
      accentColor: row.accent_color,
      logoUrl: row.logo_url,
      supportEmail: row.support_email,
      supportUrl: row.support_url,
      customDomain: row.custom_domain,
      updatedAt: row.branding_updated_at?.toISOString() ?? null,
    }),
  },
};

export async function fetchVisiblePartners(tx: Tx): Promise<PartnerRow[]> {
  return tx.query<PartnerRow>(`SELECT ${COLUMNS} FROM partners ORDER BY slug`);
}
