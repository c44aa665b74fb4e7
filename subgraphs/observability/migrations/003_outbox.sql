-- Events between domains (lib/events/): the transactional outbox this service publishes through,
-- and the record of events it has consumed. Both are tenant-owned and under row-level security
-- like every other table: only a transaction bound to the event's tenant writes its rows, and
-- the relay and retention read across tenants at platform level.

-- One row per event, written in the transaction of the change it describes; the worker's relay
-- queues committed rows in pg-boss and stamps relayed_at. The envelope's fields, plus the tier
-- that sets the event's priority and fair share in the consumers' queues.
CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  type text NOT NULL CHECK (type ~ '^[a-z][a-z-]*\.[a-z][a-z-]*\.[a-z][a-z-]*$'),
  version integer NOT NULL CHECK (version >= 1),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor jsonb NOT NULL CHECK (jsonb_typeof(actor) = 'object'),
  payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  tier text NOT NULL DEFAULT 'standard' CHECK (tier IN ('standard', 'enhanced', 'critical')),
  relayed_at timestamptz,
  -- Set instead of publishing when a row no longer matches the event catalogue.
  relay_error text
);
CREATE INDEX outbox_unrelayed_idx ON outbox (occurred_at, id) WHERE relayed_at IS NULL;
CREATE INDEX outbox_relayed_idx ON outbox (relayed_at) WHERE relayed_at IS NOT NULL;
-- An event, once written, is what happened: the relay may only stamp it.
REVOKE UPDATE, TRUNCATE ON outbox FROM caregraph_app;
GRANT UPDATE (relayed_at, relay_error) ON outbox TO caregraph_app;

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));

-- The events each consumer of this service has acted on, inserted in the same transaction as the
-- consumer's effect: a redelivered event finds its id here and changes nothing.
CREATE TABLE processed_events (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  event_type text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX processed_events_time_idx ON processed_events (processed_at);
REVOKE UPDATE, TRUNCATE ON processed_events FROM caregraph_app;

ALTER TABLE processed_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON processed_events
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
