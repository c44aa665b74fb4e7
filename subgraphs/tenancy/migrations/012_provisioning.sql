-- Provisioning as a workflow (subgraphs/tenancy/provisioning.ts): one run per tenant, started by
-- provisionTenant with an idempotency key, its steps worked by the domains' workers through jobs
-- and events. The policy data it reads (segment templates, regions) is managed here, read-only to
-- the application.

-- Where tenants' data may live. A region → server map (DATA_REGIONS) places each on a server.
CREATE TABLE regions (
  code text PRIMARY KEY CHECK (code ~ '^[a-z]{2}-[a-z]+$'),
  name text NOT NULL
);
INSERT INTO regions (code, name) VALUES
  ('us-east', 'United States, East'),
  ('us-west', 'United States, West'),
  ('eu-west', 'European Union, West');

-- The defaults each care segment starts with; provisionTenant may override plan, tier and placement.
CREATE TABLE segment_templates (
  segment text PRIMARY KEY CHECK (segment IN ('ambulatory', 'diagnostics', 'behavioral_health', 'home_health', 'specialty')),
  description text NOT NULL,
  plan_code text NOT NULL CHECK (plan_code ~ '^[a-z][a-z0-9_]*$'),
  tier text NOT NULL CHECK (tier IN ('standard', 'enhanced', 'critical')),
  placement text NOT NULL CHECK (placement IN ('pooled', 'isolated')),
  -- Clinical workflows switched on in the tenant's workspace; each must be a feature of the plan.
  workflows text[] NOT NULL CHECK (workflows <@ ARRAY['eligibility_checks', 'claims', 'reminders']),
  -- Which objectives observability registers for the tenant (availability, p95 latency, job wait).
  slo_class text NOT NULL CHECK (slo_class IN ('standard', 'enhanced', 'critical')),
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 30 AND 3650)
);
INSERT INTO segment_templates (segment, description, plan_code, tier, placement, workflows, slo_class, retention_days) VALUES
  ('ambulatory', 'Outpatient clinics: scheduling, eligibility, claims and reminders', 'premium', 'standard', 'pooled',
   ARRAY['eligibility_checks', 'claims', 'reminders'], 'standard', 2555),
  ('diagnostics', 'Laboratories and imaging centres: orders, eligibility and claims', 'premium', 'enhanced', 'pooled',
   ARRAY['eligibility_checks', 'claims'], 'enhanced', 3650),
  ('behavioral_health', 'Behavioural health practices: reminders and claims, longer retention', 'premium', 'enhanced', 'isolated',
   ARRAY['eligibility_checks', 'claims', 'reminders'], 'enhanced', 3650),
  ('home_health', 'Home health agencies: visits, reminders and eligibility', 'premium', 'standard', 'pooled',
   ARRAY['eligibility_checks', 'reminders'], 'standard', 2555),
  ('specialty', 'Specialty groups: every workflow, dedicated capacity', 'enterprise', 'critical', 'isolated',
   ARRAY['eligibility_checks', 'claims', 'reminders'], 'critical', 3650);

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON regions, segment_templates FROM caregraph_app;

-- The run of one tenant's provisioning. The request is kept as given (identifiers and settings;
-- the first admin's work address is the one piece of personal data, needed to invite them).
CREATE TABLE provisioning_runs (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
  idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9._:-]{8,100}$'),
  -- SHA-256 of the canonical request: the same key with another request is refused.
  request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
  request jsonb NOT NULL CHECK (jsonb_typeof(request) = 'object'),
  -- SHA-256 of the first admin's invitation token (shown once, in provisionTenant's answer).
  invitation_hash text NOT NULL CHECK (invitation_hash ~ '^[0-9a-f]{64}$'),
  status text NOT NULL CHECK (status IN ('running', 'failed', 'completed')),
  error text CHECK (length(error) <= 500),
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

-- One row per step and run, in workflow order; `attempts` counts every start, retries included.
CREATE TABLE provisioning_steps (
  tenant_id uuid NOT NULL REFERENCES provisioning_runs (tenant_id),
  step text NOT NULL CHECK (step ~ '^[a-z][a-z_]{1,40}$'),
  position integer NOT NULL CHECK (position >= 1),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  started_at timestamptz,
  finished_at timestamptz,
  error text CHECK (length(error) <= 500),
  PRIMARY KEY (tenant_id, step),
  UNIQUE (tenant_id, position)
);

-- What a new tenant's people are guided through once it is active.
CREATE TABLE onboarding_checklist (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  item text NOT NULL CHECK (item ~ '^[a-z][a-z_]{1,40}$'),
  position integer NOT NULL CHECK (position >= 1),
  title text NOT NULL,
  completed_at timestamptz,
  PRIMARY KEY (tenant_id, item)
);

REVOKE DELETE, TRUNCATE ON provisioning_runs, provisioning_steps FROM caregraph_app;

ALTER TABLE provisioning_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE provisioning_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE onboarding_checklist ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON provisioning_runs
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
CREATE POLICY tenant_isolation ON provisioning_steps
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
CREATE POLICY tenant_isolation ON onboarding_checklist
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
