-- A refused request's hit is taken off again (lib/rate-limit/limiter.ts) by adding -1 in the same
-- upsert as new hits. PostgreSQL checks a CHECK constraint on the proposed row before it finds
-- the conflict, so `hits >= 0` would fail that upsert; the store clamps at zero instead.
ALTER TABLE rate_limit_counters DROP CONSTRAINT IF EXISTS rate_limit_counters_hits_check;
