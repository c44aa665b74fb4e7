-- The workload plane (docs/workloads.md): every unit of asynchronous clinical work — an
-- eligibility check, a claim submission, a reminder, a document — is one workflow run, worked by
-- its workflow's queue. The run row is the work's state as the graph shows it (status, attempts,
-- last error), written by the worker after each attempt; the job only carries the run's id. The
-- business record (the claim, the check …) lives in its own table under the same id.

-- Documents join the workflows a workspace can switch on.
ALTER TABLE workspace_workflows DROP CONSTRAINT workspace_workflows_workflow_check;
ALTER TABLE workspace_workflows ADD CONSTRAINT workspace_workflows_workflow_check
  CHECK (workflow IN ('eligibility_checks', 'claims', 'reminders', 'documents'));

CREATE TABLE workflow_runs (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  workflow text NOT NULL CHECK (workflow IN ('eligibility_checks', 'claims', 'reminders', 'documents')),
  -- queued → in_flight → succeeded | rejected (final), or → retry_scheduled → in_flight …, or →
  -- dead_lettered when the retry policy gives up (replayDeadLetters queues it again).
  status text NOT NULL CHECK (status IN ('queued', 'in_flight', 'retry_scheduled', 'succeeded', 'rejected', 'dead_lettered')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- The last failed attempt's outcome: a code and a message, never PHI.
  last_error_code text,
  last_error text CHECK (length(last_error) <= 500),
  dead_letter_reason text CHECK (dead_letter_reason IN ('attempts_exhausted', 'not_retried', 'job_failed')),
  -- Sent with every attempt to the external system: the same act under the same key, so a retry
  -- after a crash (sent, not recorded) cannot repeat it.
  idempotency_key text NOT NULL UNIQUE,
  -- The tenant's standing when the run was started: its priority and concurrency on the queue,
  -- and whether its runs go to the dedicated queue; a replay queues the run the same way.
  tier text NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'enhanced', 'critical')),
  dedicated boolean NOT NULL DEFAULT false,
  queued_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz,
  -- The run's wait for a worker is first_started_at − queued_at (the figure fair share protects).
  first_started_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- Times replayDeadLetters queued the run again; each replay starts its attempts afresh.
  replays integer NOT NULL DEFAULT 0 CHECK (replays >= 0)
);
-- Depth and age per tenant and workflow, and the dead letters a replay selects.
CREATE INDEX workflow_runs_open_idx ON workflow_runs (tenant_id, workflow, queued_at) WHERE status IN ('queued', 'in_flight', 'retry_scheduled');
CREATE INDEX workflow_runs_dead_idx ON workflow_runs (workflow, tenant_id) WHERE status = 'dead_lettered';
CREATE INDEX workflow_runs_finished_idx ON workflow_runs (tenant_id, workflow, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX workflow_runs_started_idx ON workflow_runs (first_started_at) WHERE first_started_at IS NOT NULL;
REVOKE DELETE, TRUNCATE ON workflow_runs FROM caregraph_app;

ALTER TABLE workflow_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workflow_runs
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));

-- Retry governance per workflow: policy data, one row per workflow, platform-owned and read-only
-- to the application (an operator changes a row as the owner, or a migration does), read by the
-- workers from the shared database within seconds of a change (lib/workflows/retry-governance.ts).
CREATE TABLE workflow_retry_policies (
  workflow text PRIMARY KEY CHECK (workflow IN ('eligibility_checks', 'claims', 'reminders', 'documents')),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 50),
  backoff_base_ms integer NOT NULL CHECK (backoff_base_ms >= 0),
  backoff_max_ms integer NOT NULL CHECK (backoff_max_ms >= backoff_base_ms),
  jitter numeric(3, 2) NOT NULL CHECK (jitter BETWEEN 0 AND 1),
  retry_on text[] NOT NULL CHECK (retry_on <@ ARRAY['timeout', 'server_error', 'unreachable', 'circuit_open', 'malformed_response']),
  updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON workflow_retry_policies FROM caregraph_app;

-- Eligibility answers a person at the front desk: few, quick retries. Claims can wait for a
-- payer to come back: more attempts, longer backoff. A malformed answer is retried once the
-- system may have recovered, except for claims, whose payer must be looked at by a person.
INSERT INTO workflow_retry_policies (workflow, max_attempts, backoff_base_ms, backoff_max_ms, jitter, retry_on) VALUES
  ('eligibility_checks', 4, 500, 10000, 0.5, ARRAY['timeout', 'server_error', 'unreachable', 'circuit_open', 'malformed_response']),
  ('claims', 8, 2000, 300000, 0.5, ARRAY['timeout', 'server_error', 'unreachable', 'circuit_open']),
  ('reminders', 5, 5000, 600000, 0.5, ARRAY['timeout', 'server_error', 'unreachable', 'circuit_open', 'malformed_response']),
  ('documents', 5, 2000, 120000, 0.5, ARRAY['timeout', 'server_error', 'unreachable', 'circuit_open', 'malformed_response']);
