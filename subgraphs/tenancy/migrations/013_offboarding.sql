-- Offboarding's last two lifecycle steps (subgraphs/tenancy/offboarding.ts): OFFBOARDING → OFFBOARDED
-- once every domain has exported the tenant's data, and the purge of that data once the tenant's
-- retention (retention_days, a protected setting) has passed since it was offboarded.
ALTER TABLE tenants
  ADD COLUMN offboarded_at timestamptz,
  ADD COLUMN purge_requested_at timestamptz,
  ADD COLUMN purged_at timestamptz;
-- What the retention sweep looks for.
CREATE INDEX tenants_offboarded_idx ON tenants (offboarded_at) WHERE status = 'offboarded' AND purge_requested_at IS NULL;

-- Each domain's part of one tenant's offboarding, as reported by its events: the archive it wrote
-- (counts, size, hash: never content) and, later, the rows it deleted. Part of the record the
-- platform keeps of the tenant: neither exported nor purged.
CREATE TABLE offboarding_domains (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  domain text NOT NULL CHECK (domain IN ('tenancy', 'erp', 'clinical-ops', 'observability')),
  tables jsonb NOT NULL CHECK (jsonb_typeof(tables) = 'object'),
  row_count bigint NOT NULL CHECK (row_count >= 0),
  bytes bigint NOT NULL CHECK (bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  exported_at timestamptz NOT NULL DEFAULT now(),
  purged_tables jsonb CHECK (jsonb_typeof(purged_tables) = 'object'),
  purged_at timestamptz,
  PRIMARY KEY (tenant_id, domain),
  CHECK ((purged_tables IS NULL) = (purged_at IS NULL))
);
REVOKE DELETE, TRUNCATE ON offboarding_domains FROM caregraph_app;

ALTER TABLE offboarding_domains ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON offboarding_domains
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

-- Tenancy's own archive and purge, as every domain has them (lib/workflows/offboarding.ts).

-- One archive per tenant: NDJSON, one line per row ({"table": …, "row": …}) of every tenant-owned
-- table of this schema but the event internals, written once by the export job. The bytes live
-- here, beside the data they copy (in an isolated tenant's own database when it has one), under
-- the same row-level security. The purge empties `archive` and stamps `purged_at`; what the
-- archive was (size, hash, counts) stays, so the purge can be checked against it.
CREATE TABLE tenant_exports (
  tenant_id uuid PRIMARY KEY,
  archive bytea,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- Rows per table, e.g. {"patients": 12, "appointments": 40}.
  tables jsonb NOT NULL CHECK (jsonb_typeof(tables) = 'object'),
  row_count bigint NOT NULL CHECK (row_count >= 0),
  exported_at timestamptz NOT NULL DEFAULT now(),
  purged_at timestamptz,
  CHECK ((archive IS NULL) = (purged_at IS NOT NULL))
);
-- Written once; afterwards only emptied by the purge.
REVOKE UPDATE, DELETE, TRUNCATE ON tenant_exports FROM caregraph_app;
GRANT UPDATE (archive, purged_at) ON tenant_exports TO caregraph_app;

ALTER TABLE tenant_exports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_exports
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

-- Deletes the bound tenant's rows of one table and answers how many. Several tables here are
-- append-only for the application role (no DELETE), so the purge runs as their owner, with
-- every guard in the function itself: only inside a transaction bound to one tenant, only that
-- tenant's rows, only an OFFBOARDED tenant whose data has been exported, and never the archive,
-- the event internals (outbox, processed_events), the tenant row or the record kept of it
-- (audit_log, audit_chains, security_events, offboarding_domains). The caller deletes table by
-- table in foreign-key order, all in one transaction.
CREATE FUNCTION purge_tenant_rows(target text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = tenancy, pg_temp
  AS $$
DECLARE
  tenant uuid := caregraph.current_tenant_id();
  removed bigint;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'purge_tenant_rows: bind the transaction to the tenant being purged' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenant_exports WHERE tenant_id = tenant) THEN
    RAISE EXCEPTION 'purge_tenant_rows: the tenant''s data has not been exported' USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- The control plane keeps the tenant row and its audit record: the purge is the platform's, of an OFFBOARDED tenant only.
  IF NOT EXISTS (SELECT 1 FROM tenancy.tenants WHERE id = tenant AND status = 'offboarded') THEN
    RAISE EXCEPTION 'purge_tenant_rows: the tenant is not offboarded' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF target = ANY (ARRAY['outbox', 'processed_events', 'tenant_exports', 'tenants', 'audit_log', 'audit_chains', 'security_events', 'offboarding_domains']) OR NOT EXISTS (
       SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'tenancy'::regnamespace AND c.relname = target AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'purge_tenant_rows: % is not a table of tenant rows to purge', target USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('DELETE FROM tenancy.%I WHERE tenant_id = $1', target) USING tenant;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END $$;
REVOKE ALL ON FUNCTION purge_tenant_rows(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_tenant_rows(text) TO caregraph_app;
