-- Observability's copy of each tenant's escalation policy (the control plane's, subgraphs/tenancy/
-- escalation.ts), kept from the event tenancy.escalation-policy.changed: the highest revision
-- wins, so a redelivered or late event never replaces a newer policy (escalation.ts here).
CREATE TABLE escalation_policies (
  tenant_id uuid PRIMARY KEY,
  revision integer NOT NULL CHECK (revision >= 1),
  tier text NOT NULL CHECK (tier IN ('standard', 'enhanced', 'critical')),
  -- [{signal, threshold, escalateTo, source}], one per signal, as the event carries them.
  rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
  received_at timestamptz NOT NULL DEFAULT now()
);
REVOKE TRUNCATE ON escalation_policies FROM caregraph_app;

ALTER TABLE escalation_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON escalation_policies
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
