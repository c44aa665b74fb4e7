-- Four-eyes governance of protected tenant settings (subgraphs/tenancy/governance.ts): a change
-- is requested by one platform admin, approved or rejected by another, and applied by tenancy's
-- worker, inside the tenant tier's release window where the setting is release-gated.

-- How long an offboarded tenant's data is kept before it is purged: a protected setting.
ALTER TABLE tenants ADD COLUMN retention_days integer NOT NULL DEFAULT 365 CHECK (retention_days BETWEEN 30 AND 3650);

-- Which settings are protected, and which wait for a release window: policy data, not code.
-- What each value may be is the code's (governance.ts validates it before anything is written).
CREATE TABLE governed_settings (
  setting text PRIMARY KEY CHECK (setting ~ '^[a-z][a-z_]{1,40}$'),
  protected boolean NOT NULL DEFAULT true,
  -- Applied to a tenant whose tier has a release window only inside that window.
  release_gated boolean NOT NULL DEFAULT false,
  description text NOT NULL
);
INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('tier', true, false, 'operational-risk tier: isolation, priority and objectives'),
  ('cohort', true, true, 'release cohort: which changes the tenant receives first'),
  ('retention_days', true, false, 'days an offboarded tenant''s data is kept before it is purged'),
  ('feature_override', true, true, 'a feature granted to or withdrawn from this tenant alone');

-- Weekly release windows per tier, in UTC: changes to a tier listed here apply only on its
-- days, between its hours. A tier not listed has no window (changes apply when approved).
CREATE TABLE release_windows (
  tier text PRIMARY KEY CHECK (tier IN ('standard', 'enhanced', 'critical')),
  -- Days of the week, 0 = Sunday.
  days integer[] NOT NULL CHECK (days <@ ARRAY[0, 1, 2, 3, 4, 5, 6] AND cardinality(days) >= 1),
  start_hour integer NOT NULL CHECK (start_hour BETWEEN 0 AND 23),
  end_hour integer NOT NULL CHECK (end_hour BETWEEN 1 AND 24 AND end_hour > start_hour)
);
INSERT INTO release_windows (tier, days, start_hour, end_hour) VALUES ('critical', ARRAY[2, 3], 14, 17);

-- Reference data every transaction reads; only the owner (a migration) changes it.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON governed_settings, release_windows FROM caregraph_app;

CREATE TABLE change_requests (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  setting text NOT NULL REFERENCES governed_settings (setting),
  value jsonb NOT NULL,
  -- The value before, recorded when the change is applied.
  previous jsonb,
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 500),
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'waiting', 'applied', 'rejected', 'expired', 'failed')),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  decision_note text CHECK (length(decision_note) <= 500),
  -- Waiting for the release window: not before this.
  apply_after timestamptz,
  applied_at timestamptz,
  error text
);
CREATE INDEX change_requests_tenant_idx ON change_requests (tenant_id, requested_at DESC);
CREATE INDEX change_requests_open_idx ON change_requests (status) WHERE status IN ('pending', 'approved', 'waiting');
REVOKE DELETE, TRUNCATE ON change_requests FROM caregraph_app;

ALTER TABLE change_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON change_requests
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK ((SELECT caregraph.platform_access()));
