-- The objectives each tenant is held to (subgraphs/observability/slo-registration.ts), registered
-- by the provisioning workflow from the tenant's SLO class: what burn rates and error budgets
-- are computed against.

-- Objectives per SLO class: policy data, read-only to the application.
CREATE TABLE slo_class_objectives (
  slo_class text NOT NULL CHECK (slo_class IN ('standard', 'enhanced', 'critical')),
  objective text NOT NULL CHECK (objective IN ('availability', 'latency_p95', 'job_wait')),
  -- availability: the fraction of requests answered without a server error (0.995 = 99.5 %);
  -- latency_p95: milliseconds; job_wait: seconds a queued job waits before it starts, at p95.
  target numeric NOT NULL CHECK (target > 0),
  window_days integer NOT NULL CHECK (window_days BETWEEN 1 AND 90),
  PRIMARY KEY (slo_class, objective)
);
INSERT INTO slo_class_objectives (slo_class, objective, target, window_days) VALUES
  ('standard', 'availability', 0.995, 30), ('standard', 'latency_p95', 800, 30), ('standard', 'job_wait', 300, 30),
  ('enhanced', 'availability', 0.999, 30), ('enhanced', 'latency_p95', 500, 30), ('enhanced', 'job_wait', 120, 30),
  ('critical', 'availability', 0.9995, 30), ('critical', 'latency_p95', 300, 30), ('critical', 'job_wait', 60, 30);
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON slo_class_objectives FROM caregraph_app;

CREATE TABLE slo_registrations (
  tenant_id uuid NOT NULL,
  objective text NOT NULL CHECK (objective IN ('availability', 'latency_p95', 'job_wait')),
  slo_class text NOT NULL CHECK (slo_class IN ('standard', 'enhanced', 'critical')),
  target numeric NOT NULL,
  window_days integer NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, objective)
);
REVOKE TRUNCATE ON slo_registrations FROM caregraph_app;

ALTER TABLE slo_registrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slo_registrations
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
