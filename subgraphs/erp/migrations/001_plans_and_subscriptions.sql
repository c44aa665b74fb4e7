-- The plan catalog (platform reference data, the same for every tenant) and one
-- subscription per tenant (tenant-owned, under row-level security).

CREATE TABLE plans (
  code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  name text NOT NULL,
  -- Feature keys the plan entitles a tenant to (see docs/tenancy.md).
  features text[] NOT NULL,
  -- Quantitative limits, e.g. {"seats": 25, "patients": 5000}.
  limits jsonb NOT NULL,
  -- Integer minor units (cents) per month: money is never a float.
  monthly_price_minor bigint NOT NULL CHECK (monthly_price_minor >= 0),
  currency char(3) NOT NULL DEFAULT 'USD'
);

INSERT INTO plans (code, name, features, limits, monthly_price_minor) VALUES
  ('standard', 'Standard',
   ARRAY['scheduling', 'patient_records', 'basic_reporting'],
   '{"seats": 25, "patients": 5000, "api_requests_per_minute": 600}', 49900),
  ('premium', 'Premium',
   ARRAY['scheduling', 'patient_records', 'basic_reporting', 'eligibility_checks', 'claims', 'reminders', 'advanced_analytics'],
   '{"seats": 100, "patients": 50000, "api_requests_per_minute": 3000}', 149900),
  ('enterprise', 'Enterprise',
   ARRAY['scheduling', 'patient_records', 'basic_reporting', 'eligibility_checks', 'claims', 'reminders', 'advanced_analytics',
         'custom_integrations', 'dedicated_capacity', 'enhanced_telemetry', 'audit_export'],
   '{"seats": 1000, "patients": 1000000, "api_requests_per_minute": 20000}', 499900);

-- The catalog is read-only to the application role.
REVOKE INSERT, UPDATE, DELETE ON plans FROM caregraph_app;

CREATE TABLE subscriptions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL UNIQUE,
  plan_code text NOT NULL REFERENCES plans (code),
  status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  started_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscriptions
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id());
