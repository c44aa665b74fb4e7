-- The policy helpers now verify a signed, connection-bound tenant binding (lib/db/binding.ts).
-- As SECURITY DEFINER functions they cannot be inlined: called as `(SELECT …)` they run once
-- per statement (an InitPlan), not once per row.

ALTER POLICY tenant_isolation ON patients
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

ALTER POLICY tenant_isolation ON appointments
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

-- PHI is read at tenant level only, so audit rows are written at tenant level only: the
-- application role cannot write an audit row into another tenant's log.
ALTER POLICY tenant_isolation ON phi_access_log
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
