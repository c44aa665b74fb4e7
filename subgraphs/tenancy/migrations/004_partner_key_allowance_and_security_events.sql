-- What a partner's API keys may carry, and an append-only record of security events the
-- gateway raises (today: platform staff acting in a suspended or offboarded tenant).

-- The platform decides which scopes a partner's integrations may hold; an issuer can grant
-- no more than this, whatever its own scopes. Clinical data is never implied: a partner gets
-- clinical:read only when the platform adds it (the demo seed does so for one partner).
ALTER TABLE partners
  ADD COLUMN allowed_scopes text[] NOT NULL DEFAULT ARRAY['tenant:read', 'billing:read', 'telemetry:read']
    CHECK (allowed_scopes <@ ARRAY['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read']);

-- The application may keep a partner's names current but can never widen what its keys may
-- carry, whatever a policy lets it see: only the owner role changes allowed_scopes.
REVOKE UPDATE ON partners FROM caregraph_app;
GRANT UPDATE (name, brand_name) ON partners TO caregraph_app;

-- Security events: identifiers only, never a value of a record. Append-only for the
-- application role; kept even if the tenant row goes away, so no foreign key.
CREATE TABLE security_events (
  id uuid PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{2,62}$'),
  tenant_id uuid NOT NULL,
  principal_id text NOT NULL,
  roles text[] NOT NULL,
  -- The gateway's request id (never chosen by the client) and the client's own, for correlation.
  request_id text NOT NULL,
  correlation_id text,
  detail jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX security_events_tenant_time_idx ON security_events (tenant_id, occurred_at);
CREATE INDEX security_events_request_idx ON security_events (request_id);
REVOKE UPDATE, DELETE, TRUNCATE ON security_events FROM caregraph_app;

ALTER TABLE security_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_events
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
