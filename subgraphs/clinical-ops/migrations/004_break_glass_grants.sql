-- Break-glass as a declared, time-boxed grant bound to one tenant, one principal and named
-- patients, instead of a header any platform-staff request could carry. A declaration is a
-- security event that platform admins list and review; the app role may never delete one.

CREATE TABLE break_glass_grants (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  principal_id text NOT NULL,
  principal_kind text NOT NULL,
  roles text[] NOT NULL,
  -- The declared emergency. Callers are told not to put patient identifiers in it.
  reason text NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
  patient_ids uuid[] NOT NULL CHECK (cardinality(patient_ids) BETWEEN 1 AND 20),
  declared_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  request_id text NOT NULL,
  correlation_id text,
  reviewed_at timestamptz,
  reviewed_by text,
  review_note text,
  CHECK (expires_at > declared_at AND expires_at <= declared_at + interval '4 hours'),
  CHECK ((reviewed_at IS NULL) = (reviewed_by IS NULL))
);
CREATE INDEX break_glass_grants_tenant_idx ON break_glass_grants (tenant_id, declared_at);
CREATE INDEX break_glass_grants_principal_idx ON break_glass_grants (principal_id, declared_at);
CREATE INDEX break_glass_grants_unreviewed_idx ON break_glass_grants (declared_at) WHERE reviewed_at IS NULL;
REVOKE DELETE, TRUNCATE ON break_glass_grants FROM caregraph_app;

ALTER TABLE break_glass_grants ENABLE ROW LEVEL SECURITY;
-- Declared inside the tenant; only platform-level review may update (see reviewBreakGlassEvent).
CREATE POLICY grant_read ON break_glass_grants FOR SELECT
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
CREATE POLICY grant_declare ON break_glass_grants FOR INSERT
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY grant_review ON break_glass_grants FOR UPDATE
  USING ((SELECT caregraph.platform_access()))
  WITH CHECK ((SELECT caregraph.platform_access()));

-- The per-principal limit spans tenants (support staff act in many), which row-level security
-- hides from a tenant-bound transaction: this function answers a count and nothing else.
CREATE FUNCTION break_glass_declarations_since(principal text, since timestamptz) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = clinical_ops, pg_temp
  AS $$ SELECT count(*)::int FROM break_glass_grants WHERE principal_id = principal AND declared_at >= since $$;
REVOKE ALL ON FUNCTION break_glass_declarations_since(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION break_glass_declarations_since(text, timestamptz) TO caregraph_app;

-- Which grant a PHI read happened under, and the client's own request id for correlation
-- (request_id is now always the gateway's).
ALTER TABLE phi_access_log ADD COLUMN grant_id uuid REFERENCES break_glass_grants (id);
ALTER TABLE phi_access_log ADD COLUMN correlation_id text;
CREATE INDEX phi_access_log_grant_idx ON phi_access_log (grant_id) WHERE grant_id IS NOT NULL;
