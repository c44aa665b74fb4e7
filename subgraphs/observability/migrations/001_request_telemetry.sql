-- Per-tenant request telemetry: one row per request (or per sampled request) seen by the
-- gateway. Only identifiers, names and timings: never request variables or response data.

CREATE TABLE request_telemetry (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  operation_name text NOT NULL,
  client_name text NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  outcome text NOT NULL CHECK (outcome IN ('ok', 'error'))
);
CREATE INDEX request_telemetry_tenant_time_idx ON request_telemetry (tenant_id, occurred_at);

ALTER TABLE request_telemetry ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON request_telemetry
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id());
