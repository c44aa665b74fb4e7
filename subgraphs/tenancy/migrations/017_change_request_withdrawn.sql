-- A change request can be withdrawn before anyone decides it: a purchase order canceled in erp
-- while its four-eyes request is pending withdraws that request (docs/procurement.md), so no
-- approver is left looking at an order that no longer exists.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_status_check;
ALTER TABLE change_requests ADD CONSTRAINT change_requests_status_check
  CHECK (status IN ('pending', 'approved', 'waiting', 'applied', 'rejected', 'expired', 'failed', 'withdrawn'));
