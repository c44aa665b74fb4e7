-- A tenant's implementation milestones (docs/milestones.md): when each of the five was first
-- reached, and what said so — a control-plane event (its id and type) or a person through
-- recordMilestone. The first reach wins: one row per tenant and milestone, never rewritten.
-- Onboarding cycle time is read from here and from the contract's signed_at (006), grouped by
-- tenant, partner (006) or tier (below).

CREATE TABLE implementation_milestones (
  tenant_id uuid NOT NULL,
  milestone text NOT NULL CHECK (milestone IN ('contract_activated', 'users_provisioned', 'integrations_validated', 'training_completed', 'go_live')),
  reached_at timestamptz NOT NULL,
  -- An event consumed by erp's worker, or a person's record (recordMilestone).
  source text NOT NULL CHECK (source IN ('event', 'manual')),
  source_event_id uuid,
  source_event_type text,
  -- The principal who caused it: the event's actor, or the caller of recordMilestone.
  actor text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, milestone),
  CHECK ((source = 'event') = (source_event_id IS NOT NULL AND source_event_type IS NOT NULL))
);
CREATE INDEX implementation_milestones_go_live_idx ON implementation_milestones (reached_at) WHERE milestone = 'go_live';

-- What was reached stays reached: the application inserts only.
REVOKE UPDATE, DELETE, TRUNCATE ON implementation_milestones FROM caregraph_app;

ALTER TABLE implementation_milestones ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON implementation_milestones
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

-- Each tenant's tier as tenancy last published it (`tenancy.escalation-policy.changed`, newest
-- revision wins): what onboardingCycleTime groups by TIER. The tier itself is tenancy's.
CREATE TABLE tenant_tiers (
  tenant_id uuid PRIMARY KEY,
  tier text NOT NULL CHECK (tier IN ('standard', 'enhanced', 'critical')),
  revision integer NOT NULL CHECK (revision >= 1),
  updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE DELETE, TRUNCATE ON tenant_tiers FROM caregraph_app;

ALTER TABLE tenant_tiers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_tiers
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
