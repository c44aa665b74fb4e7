-- Partner-level access, partner API keys, and the feature flags that come from a tenant's
-- release cohort or a governed per-tenant override.

-- A partner acting without a tenant sees its own record and its attributed tenants' profiles.
DROP POLICY tenant_isolation ON tenants;
CREATE POLICY tenant_isolation ON tenants
  USING (
    tenant_id = caregraph.current_tenant_id()
    OR caregraph.platform_access()
    OR partner_id = caregraph.current_partner_id()
  )
  WITH CHECK (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access());

DROP POLICY partner_visibility ON partners;
CREATE POLICY partner_visibility ON partners
  USING (
    caregraph.platform_access()
    OR id = caregraph.current_partner_id()
    OR id = (SELECT t.partner_id FROM tenants t WHERE t.id = caregraph.current_tenant_id())
  );

-- Partner API keys. The key itself is shown once at issuance and never stored: only its
-- SHA-256 (keys are 256-bit random, so a fast hash is not brute-forceable).
CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  partner_id uuid NOT NULL REFERENCES partners (id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- Public, non-secret part of the key, shown in listings to tell keys apart.
  prefix text NOT NULL UNIQUE,
  secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  rotated_from uuid REFERENCES api_keys (id)
);
CREATE INDEX api_keys_partner_idx ON api_keys (partner_id);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY partner_keys ON api_keys
  USING (caregraph.platform_access() OR partner_id = caregraph.current_partner_id())
  WITH CHECK (caregraph.platform_access() OR partner_id = caregraph.current_partner_id());

-- Features a release cohort receives early (platform reference data).
CREATE TABLE cohort_features (
  cohort text NOT NULL CHECK (cohort IN ('canary', 'early', 'general')),
  feature text NOT NULL,
  PRIMARY KEY (cohort, feature)
);
REVOKE INSERT, UPDATE, DELETE ON cohort_features FROM caregraph_app;
INSERT INTO cohort_features (cohort, feature) VALUES
  ('canary', 'new_scheduling_ui'),
  ('early', 'new_scheduling_ui');

-- Governed per-tenant overrides: grant or withdraw one feature, with the reason and approver.
CREATE TABLE tenant_feature_overrides (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  feature text NOT NULL,
  enabled boolean NOT NULL,
  reason text NOT NULL,
  approved_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, feature)
);
ALTER TABLE tenant_feature_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_feature_overrides
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (caregraph.platform_access());
