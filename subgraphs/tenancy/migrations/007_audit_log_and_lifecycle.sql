-- The control plane's audit log, and the OFFBOARDING step of the tenant lifecycle.

-- Lifecycle: PROVISIONING -> ACTIVE -> SUSPENDED <-> ACTIVE -> OFFBOARDING -> OFFBOARDED
-- (subgraphs/tenancy/lifecycle.ts). The status changes only through the lifecycle mutations;
-- status_changed_at says since when.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
  CHECK (status IN ('provisioning', 'active', 'suspended', 'offboarding', 'offboarded'));
ALTER TABLE tenants ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now();

-- Audit log: one hash chain per tenant, per partner and for the platform (lib/audit/chain.ts).
-- Each entry holds its predecessor's hash and its own, an HMAC with a key the services hold and
-- no database role does, so an entry edited, inserted or deleted in SQL breaks the chain where
-- it happened; `audit_chains` keeps each chain's head, so removing the newest entries is seen
-- too. The application role may only add entries (and move a head forward).
CREATE TABLE audit_chains (
  chain text PRIMARY KEY CHECK (chain ~ '^(tenant|partner):[0-9a-f-]{36}$' OR chain = 'platform'),
  tenant_id uuid,
  partner_id uuid,
  last_seq bigint NOT NULL CHECK (last_seq >= 0),
  last_hash text NOT NULL CHECK (last_hash ~ '^[0-9a-f]{64}$')
);

CREATE TABLE audit_log (
  chain text NOT NULL REFERENCES audit_chains (chain),
  seq bigint NOT NULL CHECK (seq >= 1),
  id uuid NOT NULL UNIQUE,
  -- Whose log it is, for row-level security (both null on the platform chain).
  tenant_id uuid,
  partner_id uuid,
  occurred_at timestamptz NOT NULL,
  actor_id text NOT NULL,
  actor_kind text NOT NULL,
  actor_roles text[] NOT NULL,
  request_id text,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.-]{2,80}$'),
  -- What was acted on, as kind:id (tenant:…, api_key:…, change_request:…).
  target text NOT NULL CHECK (length(target) BETWEEN 3 AND 200),
  -- Identifiers, counts and settings only: never a record's content, never PHI.
  detail jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_log_tenant_time_idx ON audit_log (tenant_id, occurred_at DESC);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at DESC, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at DESC);

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM caregraph_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_chains FROM caregraph_app;
GRANT UPDATE (last_seq, last_hash) ON audit_chains TO caregraph_app;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_visibility ON audit_log
  USING (
    (SELECT caregraph.platform_access())
    OR tenant_id = (SELECT caregraph.current_tenant_id())
    OR (tenant_id IS NULL AND partner_id = (SELECT caregraph.current_partner_id()))
  )
  WITH CHECK (
    (SELECT caregraph.platform_access())
    OR tenant_id = (SELECT caregraph.current_tenant_id())
    OR (tenant_id IS NULL AND partner_id = (SELECT caregraph.current_partner_id()))
  );

ALTER TABLE audit_chains ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_visibility ON audit_chains
  USING (
    (SELECT caregraph.platform_access())
    OR tenant_id = (SELECT caregraph.current_tenant_id())
    OR (tenant_id IS NULL AND partner_id = (SELECT caregraph.current_partner_id()))
  )
  WITH CHECK (
    (SELECT caregraph.platform_access())
    OR tenant_id = (SELECT caregraph.current_tenant_id())
    OR (tenant_id IS NULL AND partner_id = (SELECT caregraph.current_partner_id()))
  );
