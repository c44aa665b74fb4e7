-- Where each tenant's clinical data lives (lib/db/tenant-databases.ts). A POOLED tenant's rows are
-- in this database's tables under row-level security; an ISOLATED tenant's are in a database of
-- its own (`database_name`, on its region's server), with the same schema and the same policies.
-- No row: pooled. While a placement change moves a tenant's rows the row is `moving`, and that
-- tenant's requests are refused for the moment it takes; no other tenant is touched.
CREATE TABLE workspaces (
  tenant_id uuid PRIMARY KEY,
  placement text NOT NULL CHECK (placement IN ('pooled', 'isolated')),
  region text NOT NULL CHECK (region ~ '^[a-z][a-z0-9-]{1,30}$'),
  -- The tenant's own database: where it lives when isolated, where it is going while moving there.
  database_name text CHECK (database_name ~ '^[a-z][a-z0-9_]{1,62}$'),
  state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'moving')),
  -- Rows per table the last move carried, checked against the rows written (counts only).
  moved_rows jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (placement = 'pooled' OR database_name IS NOT NULL)
);

-- Requests read their tenant's route; only the placement role (as the owner) writes it.
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
CREATE POLICY workspace_read ON workspaces FOR SELECT
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON workspaces FROM caregraph_app;
