-- The policy helpers now verify a signed, connection-bound tenant binding (lib/db/binding.ts)
-- instead of trusting settings the application role could set itself. They are SECURITY
-- DEFINER functions, which the planner cannot inline: every policy calls them as
-- `(SELECT caregraph.…())`, an InitPlan evaluated once per statement rather than once per row.

ALTER POLICY tenant_isolation ON tenants
  USING (
    tenant_id = (SELECT caregraph.current_tenant_id())
    OR (SELECT caregraph.platform_access())
    OR partner_id = (SELECT caregraph.current_partner_id())
  )
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));

ALTER POLICY partner_visibility ON partners
  USING (
    (SELECT caregraph.platform_access())
    OR id = (SELECT caregraph.current_partner_id())
    OR id = (SELECT t.partner_id FROM tenants t WHERE t.id = (SELECT caregraph.current_tenant_id()))
  );

ALTER POLICY partner_keys ON api_keys
  USING ((SELECT caregraph.platform_access()) OR partner_id = (SELECT caregraph.current_partner_id()))
  WITH CHECK ((SELECT caregraph.platform_access()) OR partner_id = (SELECT caregraph.current_partner_id()));

ALTER POLICY tenant_isolation ON tenant_feature_overrides
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK ((SELECT caregraph.platform_access()));
