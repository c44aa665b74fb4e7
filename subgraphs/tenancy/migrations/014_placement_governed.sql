-- A tenant's placement (POOLED: the shared tables; ISOLATED: a database of its own in its region)
-- is a protected setting: changed by four-eyes governance only. Clinical-ops moves the tenant's
-- rows once the change is applied (subgraphs/clinical-ops/placement.ts).
INSERT INTO governed_settings (setting, protected, release_gated, description) VALUES
  ('placement', true, false, 'where the tenant''s clinical data lives: the shared pool, or a database of its own in its region')
ON CONFLICT (setting) DO NOTHING;
