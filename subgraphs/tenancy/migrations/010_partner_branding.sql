-- White-label branding a partner's own admins keep (subgraphs/tenancy/partners.ts), and tenant
-- attribution as a protected setting (a partner's keys reach an attributed tenant's data, so
-- moving a tenant between partners takes four eyes, governance.ts).
ALTER TABLE partners
  ADD COLUMN primary_color text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  ADD COLUMN accent_color text CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
  ADD COLUMN logo_url text CHECK (logo_url ~ '^https://[^\s]+$' AND length(logo_url) <= 308),
  ADD COLUMN support_email text CHECK (support_email ~ '^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}$'),
  ADD COLUMN support_url text CHECK (support_url ~ '^https://[^\s]+$' AND length(support_url) <= 308),
  ADD COLUMN custom_domain text UNIQUE CHECK (custom_domain ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$' AND length(custom_domain) <= 253),
  ADD COLUMN branding_updated_at timestamptz;
GRANT UPDATE (primary_color, accent_color, logo_url, support_email, support_url, custom_domain, branding_updated_at) ON partners TO caregraph_app;

-- Reading stays as it was; writing is narrower: the visibility policy applied to every command,
-- so a transaction bound to a tenant could have updated its attributing partner's row. Now only
-- the platform and the partner's own admins write it.
DROP POLICY partner_visibility ON partners;
CREATE POLICY partner_visibility ON partners FOR SELECT
  USING (
    (SELECT caregraph.platform_access())
    OR id = (SELECT caregraph.current_partner_id())
    OR id = (SELECT t.partner_id FROM tenants t WHERE t.id = (SELECT caregraph.current_tenant_id()))
  );
CREATE POLICY partner_branding ON partners FOR UPDATE
  USING ((SELECT caregraph.platform_access()) OR id = (SELECT caregraph.current_partner_id()))
  WITH CHECK ((SELECT caregraph.platform_access()) OR id = (SELECT caregraph.current_partner_id()));

INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('partner', true, false, 'the white-label partner the tenant is attributed to (its keys reach the tenant''s data)');
