-- Offboarding (lib/workflows/offboarding.ts): the archive of an offboarding tenant's rows in this
-- domain, and the one way the application may delete them once its retention has passed. The
-- same in every domain's schema (erp 005, clinical-ops 008, observability 004; tenancy 013 keeps
-- its tenant row and audit record besides), as the outbox is.

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
-- tenant's rows, only once the tenant's data has been exported, and never the archive or the event internals (outbox, processed_events).
-- The caller deletes table by table in foreign-key order, all in one transaction.
CREATE FUNCTION purge_tenant_rows(target text) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = erp, pg_temp
  AS $$
DECLARE
  tenant uuid := caregraph.current_tenant_id();
  removed bigint;
BEGIN
  IF tenant IS NULL THEN
    RAISE EXCEPTION 'purge_tenant_rows: bind the transaction to the tenant being purged' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM erp.tenant_exports WHERE tenant_id = tenant) THEN
    RAISE EXCEPTION 'purge_tenant_rows: the tenant''s data has not been exported' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF target = ANY (ARRAY['outbox', 'processed_events', 'tenant_exports']) OR NOT EXISTS (
       SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'erp'::regnamespace AND c.relname = target AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'purge_tenant_rows: % is not a table of tenant rows to purge', target USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('DELETE FROM erp.%I WHERE tenant_id = $1', target) USING tenant;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END $$;
REVOKE ALL ON FUNCTION purge_tenant_rows(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_tenant_rows(text) TO caregraph_app;
