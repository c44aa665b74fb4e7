-- Each tenant's mapping of each integration connector (subgraphs/clinical-ops/integrations/,
-- docs/integrations.md): what the platform's defaults become for that tenant. No row: the
-- defaults. Null columns: the default of that field.
--
-- The endpoint (base_url) and the payer id map (payer_ids) are protected: they change only when a
-- four-eyes change request (tenancy, setting `integration_mapping`) is approved, through
-- integration_mapping_changes below. The rest is applied at once and audited.
CREATE TABLE integration_mappings (
  tenant_id uuid NOT NULL,
  connector text NOT NULL CHECK (connector IN ('payer_eligibility', 'payer_claims', 'ehr', 'pharmacy', 'messaging')),
  enabled boolean NOT NULL DEFAULT true,
  base_url text CHECK (base_url ~ '^https?://' AND length(base_url) <= 500),
  -- The tenant's payer codes → payer directory ids.
  payer_ids jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payer_ids) = 'object'),
  -- Per connector (integrations/mapping.ts): which provider identifier to send, service type codes,
  -- place of service, message templates.
  field_map jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(field_map) = 'object'),
  timeout_ms integer CHECK (timeout_ms BETWEEN 100 AND 60000),
  breaker_failure_threshold integer CHECK (breaker_failure_threshold BETWEEN 1 AND 1000),
  breaker_window_ms integer CHECK (breaker_window_ms BETWEEN 1000 AND 600000),
  breaker_cool_down_ms integer CHECK (breaker_cool_down_ms BETWEEN 100 AND 600000),
  -- Counts the changes: 1 for the first.
  revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, connector)
);
REVOKE TRUNCATE ON integration_mappings FROM caregraph_app;

ALTER TABLE integration_mappings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON integration_mappings
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

-- Protected changes asked for, each named by the four-eyes change request tenancy opens for it
-- (the same id). Pending until the decision's event reaches clinical-ops' worker, which applies
-- it (applied) or not (rejected); one pending change per tenant and connector at a time, unless
-- it is past its expiry (then a new request supersedes it: expired).
CREATE TABLE integration_mapping_changes (
  change_request_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  connector text NOT NULL CHECK (connector IN ('payer_eligibility', 'payer_claims', 'ehr', 'pharmacy', 'messaging')),
  -- Whether the endpoint changes; base_url is then its new value (null: back to the default).
  sets_base_url boolean NOT NULL,
  base_url text CHECK (base_url ~ '^https?://' AND length(base_url) <= 500),
  -- The whole new payer id map; null: unchanged.
  payer_ids jsonb CHECK (payer_ids IS NULL OR jsonb_typeof(payer_ids) = 'object'),
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 500),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'rejected', 'expired')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  CHECK (sets_base_url OR payer_ids IS NOT NULL),
  CHECK (sets_base_url OR base_url IS NULL)
);
CREATE UNIQUE INDEX integration_mapping_changes_one_pending ON integration_mapping_changes (tenant_id, connector) WHERE status = 'pending';
CREATE INDEX integration_mapping_changes_tenant_idx ON integration_mapping_changes (tenant_id, requested_at DESC);
REVOKE TRUNCATE ON integration_mapping_changes FROM caregraph_app;

ALTER TABLE integration_mapping_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON integration_mapping_changes
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
