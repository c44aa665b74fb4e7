-- A protected change to a tenant's integration mapping (its endpoint, its payer id map) is
-- approved by four eyes: clinical-ops' requestIntegrationMappingChange opens a change request of
-- this kind (through tenancy's worker, subgraphs/tenancy/integration-mapping-events.ts), a second
-- platform admin decides it, and the decision's event applies it in clinical-ops
-- (docs/integrations.md). Its value names the connector and what is asked; applying it writes
-- nothing in tenancy.
INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('integration_mapping', true, false, 'the endpoint or payer id map of one of the tenant''s integration connectors (clinical-ops)')
ON CONFLICT (setting) DO NOTHING;
