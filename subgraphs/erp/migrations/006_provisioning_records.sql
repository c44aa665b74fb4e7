-- Erp's records of a provisioned tenant (subgraphs/erp/provisioning.ts): the contract the
-- subscription serves, when it is invoiced, which partner it is attributed to, and the
-- entitlements it was provisioned with. Each is one row per tenant, written once by the
-- provisioning workflow's commercial and entitlements steps.

CREATE TABLE contracts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL UNIQUE,
  plan_code text NOT NULL REFERENCES plans (code),
  term_months integer NOT NULL CHECK (term_months BETWEEN 1 AND 120),
  -- Integer minor units over the whole term: the plan's monthly price times the term.
  value_minor bigint NOT NULL CHECK (value_minor >= 0),
  currency char(3) NOT NULL,
  auto_renew boolean NOT NULL,
  signed_at timestamptz NOT NULL,
  activated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invoice_schedules (
  tenant_id uuid PRIMARY KEY,
  cadence text NOT NULL CHECK (cadence IN ('monthly')),
  -- The first day of the next period to invoice.
  next_period_start date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE partner_attributions (
  tenant_id uuid PRIMARY KEY,
  partner_id uuid NOT NULL,
  attributed_at timestamptz NOT NULL DEFAULT now()
);

-- The features a tenant was provisioned with, and the clinical workflows they must cover.
CREATE TABLE provisioned_entitlements (
  tenant_id uuid PRIMARY KEY,
  plan_code text NOT NULL REFERENCES plans (code),
  features text[] NOT NULL,
  workflows text[] NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

REVOKE DELETE, TRUNCATE ON contracts, invoice_schedules, partner_attributions, provisioned_entitlements FROM caregraph_app;

ALTER TABLE contracts ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_attributions ENABLE ROW LEVEL SECURITY;
ALTER TABLE provisioned_entitlements ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contracts
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON invoice_schedules
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON partner_attributions
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON provisioned_entitlements
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
