-- Clinical-ops' queue telemetry per tenant, workflow and sample (subgraphs/observability/
-- workload-health.ts), from `clinical-ops.workload.sampled` events, one a minute per active
-- tenant: queue depth, runs in flight, the oldest wait, the minute's outcomes and the waits for a
-- worker. A redelivered sample replaces itself (same tenant, workflow and time). Counts and
-- durations only.
CREATE TABLE workload_samples (
  tenant_id uuid NOT NULL,
  workflow text NOT NULL CHECK (workflow IN ('eligibility_checks', 'claims', 'reminders', 'documents')),
  sampled_at timestamptz NOT NULL,
  window_seconds integer NOT NULL CHECK (window_seconds > 0),
  depth integer NOT NULL CHECK (depth >= 0),
  in_flight integer NOT NULL CHECK (in_flight >= 0),
  oldest_wait_seconds integer CHECK (oldest_wait_seconds >= 0),
  succeeded integer NOT NULL CHECK (succeeded >= 0),
  rejected integer NOT NULL CHECK (rejected >= 0),
  dead_lettered integer NOT NULL CHECK (dead_lettered >= 0),
  started integer NOT NULL CHECK (started >= 0),
  wait_p50_ms integer,
  wait_p95_ms integer,
  wait_max_ms integer,
  PRIMARY KEY (tenant_id, workflow, sampled_at)
);
REVOKE TRUNCATE ON workload_samples FROM caregraph_app;

ALTER TABLE workload_samples ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workload_samples
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
