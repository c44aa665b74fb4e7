-- Who read which protected health information, when and why. Append-only for the
-- application role: it may insert and read, never change or delete.

CREATE TABLE phi_access_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  request_id text NOT NULL,
  principal_id text NOT NULL,
  principal_kind text NOT NULL,
  roles text[] NOT NULL,
  record_type text NOT NULL,
  record_id uuid NOT NULL,
  fields text[] NOT NULL,
  purpose text,
  -- Read under a declared emergency: a security event, reviewed after the fact.
  break_glass boolean NOT NULL DEFAULT false
);
CREATE INDEX phi_access_log_tenant_time_idx ON phi_access_log (tenant_id, occurred_at);
CREATE INDEX phi_access_log_record_idx ON phi_access_log (record_id);
REVOKE UPDATE, DELETE, TRUNCATE ON phi_access_log FROM caregraph_app;

ALTER TABLE phi_access_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON phi_access_log
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access());
