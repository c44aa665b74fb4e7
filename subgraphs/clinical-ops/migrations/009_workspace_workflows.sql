-- The clinical workflows switched on in a tenant's workspace (eligibility checks, claims,
-- reminders), set by the provisioning workflow from the tenant's segment template
-- (subgraphs/clinical-ops/provisioning.ts); the workflow queues consult it.
CREATE TABLE workspace_workflows (
  tenant_id uuid NOT NULL,
  workflow text NOT NULL CHECK (workflow IN ('eligibility_checks', 'claims', 'reminders')),
  enabled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, workflow)
);
REVOKE TRUNCATE ON workspace_workflows FROM caregraph_app;

ALTER TABLE workspace_workflows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON workspace_workflows
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
