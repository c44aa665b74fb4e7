-- Escalation policy (subgraphs/tenancy/escalation.ts): which burn of the error budget, which
-- incident size and which integration backlog escalates to whom. Policy data per tier, with a
-- tenant's own threshold for a signal as a protected setting (four-eyes). Observability keeps a
-- copy of each tenant's effective policy from the event tenancy.escalation-policy.changed.

-- The receivers a signal escalates to: roles, not addresses (where each is reached is the
-- alerting side's configuration).
CREATE FUNCTION escalation_receivers_valid(receivers text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE
  RETURN cardinality(receivers) BETWEEN 1 AND 5
    AND receivers <@ ARRAY['tenant_admins', 'partner_support', 'customer_success', 'platform_oncall', 'incident_commander'];

-- Per tier, per signal: policy data, the same for every tenant of the tier.
--   error_budget_burn: the rate the tenant's availability error budget is spent at, as a
--     multiple of the rate that spends it exactly over the SLO window (1 = on budget);
--   incident_size: tenants affected by one incident the tenant is in;
--   integration_backlog: messages waiting in the tenant's integration queues.
CREATE TABLE escalation_rules (
  tier text NOT NULL CHECK (tier IN ('standard', 'enhanced', 'critical')),
  signal text NOT NULL CHECK (signal IN ('error_budget_burn', 'incident_size', 'integration_backlog')),
  threshold numeric NOT NULL CHECK (threshold > 0 AND threshold <= 1000000),
  escalate_to text[] NOT NULL CHECK (escalation_receivers_valid(escalate_to)),
  PRIMARY KEY (tier, signal)
);
INSERT INTO escalation_rules (tier, signal, threshold, escalate_to) VALUES
  ('standard', 'error_budget_burn', 10, ARRAY['platform_oncall']),
  ('standard', 'incident_size', 50, ARRAY['platform_oncall']),
  ('standard', 'integration_backlog', 5000, ARRAY['tenant_admins']),
  ('enhanced', 'error_budget_burn', 6, ARRAY['platform_oncall', 'customer_success']),
  ('enhanced', 'incident_size', 20, ARRAY['platform_oncall', 'customer_success']),
  ('enhanced', 'integration_backlog', 1000, ARRAY['tenant_admins', 'partner_support']),
  ('critical', 'error_budget_burn', 2, ARRAY['platform_oncall', 'incident_commander', 'customer_success']),
  ('critical', 'incident_size', 5, ARRAY['incident_commander', 'customer_success']),
  ('critical', 'integration_backlog', 200, ARRAY['tenant_admins', 'platform_oncall']);
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON escalation_rules FROM caregraph_app;

-- A tenant's own threshold for a signal, in place of its tier's: written only by an applied
-- change request (setting `escalation`), at platform level.
CREATE TABLE tenant_escalation_overrides (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  signal text NOT NULL CHECK (signal IN ('error_budget_burn', 'incident_size', 'integration_backlog')),
  threshold numeric NOT NULL CHECK (threshold > 0 AND threshold <= 1000000),
  escalate_to text[] NOT NULL CHECK (escalation_receivers_valid(escalate_to)),
  approved_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, signal)
);
REVOKE TRUNCATE ON tenant_escalation_overrides FROM caregraph_app;
ALTER TABLE tenant_escalation_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_escalation_overrides
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK ((SELECT caregraph.platform_access()));

-- The effective policy last published for each tenant, and its revision: what observability's
-- copy converges to. Publishing compares against it, so an unchanged policy is not sent again.
CREATE TABLE escalation_publications (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
  revision integer NOT NULL CHECK (revision >= 1),
  rules jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
REVOKE TRUNCATE ON escalation_publications FROM caregraph_app;
ALTER TABLE escalation_publications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON escalation_publications
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));

INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('escalation', true, false, 'the tenant''s own escalation threshold and receivers for one signal, in place of its tier''s')
ON CONFLICT (setting) DO NOTHING;
