-- The policy helpers now verify a signed, connection-bound tenant binding (lib/db/binding.ts).
-- As SECURITY DEFINER functions they cannot be inlined: called as `(SELECT …)` they run once
-- per statement (an InitPlan), not once per row.

ALTER POLICY tenant_isolation ON request_telemetry
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
