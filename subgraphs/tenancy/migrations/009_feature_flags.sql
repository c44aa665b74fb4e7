-- Feature flags rolled out cohort by cohort (subgraphs/tenancy/flags.ts), replacing the fixed
-- cohort_features list: a flag's stage says how far it has reached — none, canary, early,
-- general — and a tenant's cohort receives every flag whose stage has reached it (a canary
-- tenant gets canary, early and general flags; a general one only general). Promotions and
-- rollbacks are counted: rollbacks over promotions is the release rollback frequency.
CREATE TABLE feature_flags (
  feature text PRIMARY KEY CHECK (feature ~ '^[a-z][a-z0-9_]{1,62}$'),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
  stage text NOT NULL DEFAULT 'none' CHECK (stage IN ('none', 'canary', 'early', 'general')),
  -- The stage before the last promotion: critical-tier tenants newly reached by that promotion
  -- receive the flag only from `critical_from` on, the opening of their tier's release window.
  previous_stage text NOT NULL DEFAULT 'none' CHECK (previous_stage IN ('none', 'canary', 'early', 'general')),
  critical_from timestamptz NOT NULL DEFAULT now(),
  stage_changed_at timestamptz NOT NULL DEFAULT now(),
  promotions integer NOT NULL DEFAULT 0 CHECK (promotions >= 0),
  rollbacks integer NOT NULL DEFAULT 0 CHECK (rollbacks >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The flag the old list carried, at the stage it had reached (canary and early).
INSERT INTO feature_flags (feature, description, stage, previous_stage, promotions)
SELECT 'new_scheduling_ui', 'the new scheduling screens', 'early', 'canary', 2
 WHERE EXISTS (SELECT 1 FROM cohort_features WHERE feature = 'new_scheduling_ui');
DROP TABLE cohort_features;

-- Every transaction reads the flags (a tenant's entitlements come from them); only the platform
-- changes them, and never deletes one (its counts are history).
ALTER TABLE feature_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY flag_visibility ON feature_flags USING (true) WITH CHECK ((SELECT caregraph.platform_access()));
REVOKE DELETE, TRUNCATE ON feature_flags FROM caregraph_app;

-- A cohort's rank against a stage's: a stage reaches every cohort of its rank or lower.
CREATE FUNCTION release_rank(stage text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE stage WHEN 'canary' THEN 1 WHEN 'early' THEN 2 WHEN 'general' THEN 3 ELSE 0 END $$;
-- `general` cohort has rank 3: reached only by a general flag; `canary` rank 1: reached by any.
CREATE FUNCTION cohort_reached(cohort text, stage text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT release_rank(stage) >= release_rank(cohort) AND release_rank(stage) > 0 $$;
