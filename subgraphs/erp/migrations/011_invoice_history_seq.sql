-- The subscription history an invoice was computed from (reconcile.ts): the highest history row
-- of the tenant when the invoice was issued. Rows written later (even in the same transaction, by
-- a change that ran the billing first) are not the invoice's inputs. Null for invoices issued
-- before this column; the reconciliation then takes the rows recorded by the invoice's creation.
ALTER TABLE invoices ADD COLUMN history_seq bigint;
