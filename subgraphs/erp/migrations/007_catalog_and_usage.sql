-- The commercial catalog and what invoices are computed from (docs/billing.md): a versioned
-- catalog of plans, add-ons and metered usage in integer minor units per currency; subscriptions
-- whose every change is a dated history row; usage counted once per event (its id).

-- Currencies the platform bills in, each by one issuing entity (invoice numbers run per issuer).
CREATE TABLE currencies (
  code char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  minor_digits integer NOT NULL CHECK (minor_digits BETWEEN 0 AND 3),
  issuer text NOT NULL UNIQUE CHECK (issuer ~ '^[A-Z]{2}-[A-Z]{2}$'),
  issuer_name text NOT NULL
);
INSERT INTO currencies (code, minor_digits, issuer, issuer_name) VALUES
  ('USD', 2, 'CG-US', 'CareGraph Inc.'),
  ('EUR', 2, 'CG-EU', 'CareGraph Europe B.V.'),
  ('GBP', 2, 'CG-UK', 'CareGraph UK Ltd');

-- A catalog version holds every price; the version in effect on a period's first day prices
-- that period, so a new version changes new periods and never an issued invoice.
CREATE TABLE catalog_versions (
  version integer PRIMARY KEY CHECK (version >= 1),
  effective_from date NOT NULL UNIQUE,
  note text NOT NULL
);
INSERT INTO catalog_versions (version, effective_from, note) VALUES (1, '2020-01-01', 'launch catalog');

CREATE TABLE plan_prices (
  plan_code text NOT NULL REFERENCES plans (code),
  version integer NOT NULL REFERENCES catalog_versions (version),
  currency char(3) NOT NULL REFERENCES currencies (code),
  monthly_price_minor bigint NOT NULL CHECK (monthly_price_minor >= 0),
  PRIMARY KEY (plan_code, version, currency)
);
INSERT INTO plan_prices (plan_code, version, currency, monthly_price_minor) VALUES
  ('standard', 1, 'USD', 49900), ('standard', 1, 'EUR', 46900), ('standard', 1, 'GBP', 39900),
  ('premium', 1, 'USD', 149900), ('premium', 1, 'EUR', 139900), ('premium', 1, 'GBP', 119900),
  ('enterprise', 1, 'USD', 499900), ('enterprise', 1, 'EUR', 469900), ('enterprise', 1, 'GBP', 399900);

-- Add-ons grant features of their own on top of the plan's; a bundle is an add-on made of others
-- (its features are theirs), priced as one.
CREATE TABLE addons (
  code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,40}$'),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('addon', 'bundle')),
  features text[] NOT NULL CHECK (cardinality(features) >= 1),
  -- For a bundle: the add-ons it stands for (never held together with it).
  includes text[] NOT NULL DEFAULT '{}',
  description text NOT NULL
);
INSERT INTO addons (code, name, kind, features, includes, description) VALUES
  ('white_label', 'White label', 'addon', ARRAY['white_label'], '{}', 'the partner''s brand on the tenant''s portal and emails'),
  ('dedicated_queues', 'Dedicated queues', 'addon', ARRAY['dedicated_capacity'], '{}', 'workflow queues and workers reserved for the tenant'),
  ('analytics_export', 'Analytics export', 'addon', ARRAY['analytics_export'], '{}', 'scheduled exports of the tenant''s operational analytics'),
  ('enhanced_slo', 'Enhanced SLO', 'addon', ARRAY['enhanced_telemetry'], '{}', 'stricter objectives and enhanced telemetry'),
  ('growth_bundle', 'Growth bundle', 'bundle', ARRAY['white_label', 'analytics_export'], ARRAY['white_label', 'analytics_export'], 'white label and analytics export together');

CREATE TABLE addon_prices (
  addon_code text NOT NULL REFERENCES addons (code),
  version integer NOT NULL REFERENCES catalog_versions (version),
  currency char(3) NOT NULL REFERENCES currencies (code),
  monthly_price_minor bigint NOT NULL CHECK (monthly_price_minor >= 0),
  PRIMARY KEY (addon_code, version, currency)
);
INSERT INTO addon_prices (addon_code, version, currency, monthly_price_minor)
SELECT a.code, 1, c.code, p.price
  FROM (VALUES ('white_label', 19900), ('dedicated_queues', 29900), ('analytics_export', 9900), ('enhanced_slo', 14900), ('growth_bundle', 24900)) AS p (code, price)
  JOIN addons a ON a.code = p.code CROSS JOIN currencies c;

-- What is metered: each usage event names one meter and a whole, positive quantity.
CREATE TABLE meters (
  code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]{1,40}$'),
  unit text NOT NULL,
  description text NOT NULL
);
INSERT INTO meters (code, unit, description) VALUES
  ('eligibility_checks', 'check', 'insurance eligibility checks run'),
  ('claims_submitted', 'claim', 'claims submitted to payers'),
  ('reminders_sent', 'reminder', 'appointment reminders sent'),
  ('documents_generated', 'document', 'clinical documents generated'),
  ('api_calls', 'call', 'partner API calls answered');

-- Per plan, catalog version and currency: the quantity a month includes, and the overage price
-- per started block of `block_size` units beyond it.
CREATE TABLE plan_meter_prices (
  plan_code text NOT NULL REFERENCES plans (code),
  version integer NOT NULL REFERENCES catalog_versions (version),
  currency char(3) NOT NULL REFERENCES currencies (code),
  meter text NOT NULL REFERENCES meters (code),
  included_quantity bigint NOT NULL CHECK (included_quantity >= 0),
  block_size integer NOT NULL CHECK (block_size >= 1),
  block_price_minor bigint NOT NULL CHECK (block_price_minor >= 0),
  PRIMARY KEY (plan_code, version, currency, meter)
);
INSERT INTO plan_meter_prices (plan_code, version, currency, meter, included_quantity, block_size, block_price_minor)
SELECT p.plan_code, 1, c.code, p.meter, p.included, p.block, p.price
  FROM (VALUES
    ('standard', 'eligibility_checks', 500, 1, 25), ('standard', 'claims_submitted', 200, 1, 50), ('standard', 'reminders_sent', 1000, 100, 200),
    ('standard', 'documents_generated', 200, 1, 10), ('standard', 'api_calls', 100000, 1000, 50),
    ('premium', 'eligibility_checks', 5000, 1, 20), ('premium', 'claims_submitted', 2000, 1, 40), ('premium', 'reminders_sent', 10000, 100, 150),
    ('premium', 'documents_generated', 2000, 1, 8), ('premium', 'api_calls', 1000000, 1000, 40),
    ('enterprise', 'eligibility_checks', 50000, 1, 15), ('enterprise', 'claims_submitted', 20000, 1, 30), ('enterprise', 'reminders_sent', 100000, 100, 100),
    ('enterprise', 'documents_generated', 20000, 1, 5), ('enterprise', 'api_calls', 10000000, 1000, 30)
  ) AS p (plan_code, meter, included, block, price)
  CROSS JOIN currencies c;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON currencies, catalog_versions, plan_prices, addons, addon_prices, meters, plan_meter_prices FROM caregraph_app;

-- Subscriptions: the whole lifecycle, a currency, what waits for the period's end.
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions
  ADD CONSTRAINT subscriptions_status_check CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
  ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD' REFERENCES currencies (code),
  ADD COLUMN trial_ends_on date,
  -- A downgrade, applied on the first day of the next period.
  ADD COLUMN pending_plan_code text REFERENCES plans (code),
  -- A cancellation, effective on the first day of the next period.
  ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
  ADD COLUMN ended_on date,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE subscription_addons (
  tenant_id uuid NOT NULL,
  addon_code text NOT NULL REFERENCES addons (code),
  added_on date NOT NULL,
  PRIMARY KEY (tenant_id, addon_code)
);

-- Every change of a subscription, as the whole state it leaves from `effective_on` on (until the
-- next row): what metrics, invoices and their reconciliation are computed from. Append-only.
CREATE TABLE subscription_history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  effective_on date NOT NULL,
  change text NOT NULL CHECK (change IN (
    'started', 'recorded', 'upgraded', 'downgrade_scheduled', 'downgrade_withdrawn', 'downgraded', 'addon_added', 'addon_removed',
    'cancellation_scheduled', 'cancellation_withdrawn', 'canceled', 'expired', 'renewed', 'trial_ended', 'past_due', 'recovered')),
  plan_code text NOT NULL REFERENCES plans (code),
  addons text[] NOT NULL,
  status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'expired')),
  currency char(3) NOT NULL REFERENCES currencies (code),
  pending_plan_code text,
  cancel_at_period_end boolean NOT NULL,
  actor text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_history_tenant_idx ON subscription_history (tenant_id, effective_on, seq);
REVOKE UPDATE, DELETE, TRUNCATE ON subscription_history FROM caregraph_app;

-- The subscriptions there are today enter the history as they stand.
INSERT INTO subscription_history (tenant_id, effective_on, change, plan_code, addons, status, currency, pending_plan_code, cancel_at_period_end, actor)
SELECT tenant_id, (started_at AT TIME ZONE 'UTC')::date, 'recorded', plan_code, '{}', status, currency, NULL, false, 'migration'
  FROM subscriptions;

-- Usage, counted once per event (its id), and its totals per tenant, meter and calendar month.
CREATE TABLE usage_events (
  event_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  meter text NOT NULL REFERENCES meters (code),
  quantity bigint NOT NULL CHECK (quantity > 0),
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_events_tenant_idx ON usage_events (tenant_id, occurred_at);
CREATE TABLE usage_totals (
  tenant_id uuid NOT NULL,
  meter text NOT NULL REFERENCES meters (code),
  period_start date NOT NULL CHECK (extract(day FROM period_start) = 1),
  quantity bigint NOT NULL CHECK (quantity >= 0),
  -- How much of it invoices have charged for: usage arriving after its month was invoiced is
  -- charged by the next invoice, as the difference.
  billed_quantity bigint NOT NULL DEFAULT 0 CHECK (billed_quantity >= 0 AND billed_quantity <= quantity),
  PRIMARY KEY (tenant_id, meter, period_start)
);
REVOKE UPDATE, DELETE, TRUNCATE ON usage_events FROM caregraph_app;

ALTER TABLE subscription_addons ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON subscription_addons
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON subscription_history
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON usage_events
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON usage_totals
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
REVOKE TRUNCATE ON subscription_addons, usage_totals FROM caregraph_app;
REVOKE DELETE ON usage_totals FROM caregraph_app;
