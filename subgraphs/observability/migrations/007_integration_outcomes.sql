-- Integration outcomes per tenant, connector and UTC minute (subgraphs/observability/
-- integration-health.ts), added up from clinical-ops' `clinical-ops.integration.outcomes` events:
-- one minute may arrive in several batches, from several processes, and each adds to the row
-- (the consumer is idempotent by event id, so a redelivered batch adds nothing). Counts and
-- latencies only: which patient or claim a call was about never reaches observability.
CREATE TABLE integration_outcomes (
  tenant_id uuid NOT NULL,
  connector text NOT NULL CHECK (connector IN ('payer_eligibility', 'payer_claims', 'ehr', 'pharmacy', 'messaging')),
  minute timestamptz NOT NULL CHECK (minute = date_trunc('minute', minute)),
  accepted bigint NOT NULL DEFAULT 0 CHECK (accepted >= 0),
  rejected bigint NOT NULL DEFAULT 0 CHECK (rejected >= 0),
  retryable bigint NOT NULL DEFAULT 0 CHECK (retryable >= 0),
  -- The retryable calls per reason.
  timeouts bigint NOT NULL DEFAULT 0,
  server_errors bigint NOT NULL DEFAULT 0,
  unreachable bigint NOT NULL DEFAULT 0,
  circuit_open bigint NOT NULL DEFAULT 0,
  malformed bigint NOT NULL DEFAULT 0,
  latency_ms_sum bigint NOT NULL DEFAULT 0,
  -- Calls per latency bucket (lib/events/catalog.ts, INTEGRATION_LATENCY_BUCKETS_MS, then slower).
  latency_buckets bigint[] NOT NULL,
  PRIMARY KEY (tenant_id, connector, minute)
);
REVOKE TRUNCATE ON integration_outcomes FROM caregraph_app;

ALTER TABLE integration_outcomes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON integration_outcomes
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
