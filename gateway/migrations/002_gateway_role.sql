-- The gateway role (lib/db/roles.ts creates it before any migration runs) reaches its schema and
-- the rate-limit counters, and nothing else: 001 granted the table only where the role existed.
GRANT USAGE ON SCHEMA gateway TO caregraph_gateway;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO caregraph_gateway;
-- The application role gets this schema's tables by default privileges (lib/db/migrate.ts); it
-- has no business here.
REVOKE USAGE ON SCHEMA gateway FROM caregraph_app;
