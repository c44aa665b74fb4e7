-- A purchase order above its currency's threshold (erp's procurement_thresholds) is approved by
-- four eyes: erp's order opens a change request of this kind, a second platform admin decides it,
-- and the decision's event moves the order in erp (docs/procurement.md). Its value is the order's
-- identity and amount; applying it writes nothing in tenancy.
INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('purchase_order', true, false, 'a purchase order for the tenant''s implementation work above its currency''s four-eyes threshold')
ON CONFLICT (setting) DO NOTHING;
