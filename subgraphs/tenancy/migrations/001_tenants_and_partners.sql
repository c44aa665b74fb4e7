-- Tenants (clinic organisations) and the white-label partners they are attributed to.
-- Tenants are the root of isolation: the application role sees only the tenant set for the
-- transaction, or every tenant under platform-level access.

CREATE TABLE partners (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  brand_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  -- The tenant's own id, named like every tenant-owned column so policies read the same everywhere.
  tenant_id uuid GENERATED ALWAYS AS (id) STORED,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  segment text NOT NULL CHECK (segment IN ('ambulatory', 'diagnostics', 'behavioral_health', 'home_health', 'specialty')),
  tier text NOT NULL CHECK (tier IN ('standard', 'enhanced', 'critical')),
  region text NOT NULL CHECK (region ~ '^[a-z]{2}-[a-z]+$'),
  placement text NOT NULL CHECK (placement IN ('pooled', 'isolated')),
  cohort text NOT NULL CHECK (cohort IN ('canary', 'early', 'general')),
  status text NOT NULL CHECK (status IN ('provisioning', 'active', 'suspended', 'offboarded')),
  partner_id uuid REFERENCES partners (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_partner_id_idx ON tenants (partner_id);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access());

-- A tenant sees the partner it is attributed to; platform-level access sees all partners.
ALTER TABLE partners ENABLE ROW LEVEL SECURITY;
CREATE POLICY partner_visibility ON partners
  USING (
    caregraph.platform_access()
    OR id = (SELECT t.partner_id FROM tenants t WHERE t.id = caregraph.current_tenant_id())
  );
