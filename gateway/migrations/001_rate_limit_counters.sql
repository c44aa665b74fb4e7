-- Rate-limit counters every gateway replica shares (lib/rate-limit/postgres-store.ts): one row
-- per bucket (API key, user, tenant) per window. UNLOGGED: counters are worth less than the
-- WAL they would write, and a crash that empties them only gives every caller a fresh window.
CREATE UNLOGGED TABLE rate_limit_counters (
  bucket text NOT NULL,
  window_index bigint NOT NULL,
  hits integer NOT NULL CHECK (hits >= 0),
  PRIMARY KEY (bucket, window_index)
) WITH (fillfactor = 70); -- room on each page for HOT updates of the hot rows

-- The gateway's role touches this table and nothing else; the application role not at all.
REVOKE ALL ON rate_limit_counters FROM caregraph_app;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caregraph_gateway') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO caregraph_gateway;
  END IF;
END $$;
