-- What one tenant's callers may ask of the API per plan, read by the gateway's rate limits and
-- operation budgets (docs/policies.md, "Operation limits" and "Rate limits"):
--   api_requests_per_minute      all requests acting on the tenant (existing key)
--   api_key_requests_per_minute  one partner API key acting on the tenant
--   user_requests_per_minute     one user of the tenant
--   api_max_cost                 the cost of one operation (list fields weighted by `first`)
UPDATE plans SET limits = limits || '{"api_key_requests_per_minute": 300, "user_requests_per_minute": 300, "api_max_cost": 5000}'
 WHERE code = 'standard';
UPDATE plans SET limits = limits || '{"api_key_requests_per_minute": 1500, "user_requests_per_minute": 600, "api_max_cost": 20000}'
 WHERE code = 'premium';
UPDATE plans SET limits = limits || '{"api_key_requests_per_minute": 10000, "user_requests_per_minute": 2000, "api_max_cost": 50000}'
 WHERE code = 'enterprise';
