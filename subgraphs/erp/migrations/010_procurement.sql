-- Procurement for implementation work (docs/procurement.md): purchase orders for implementation
-- services and third-party connector licences bought for a tenant, numbered without gaps per
-- issuer, approved through the control plane's four-eyes governance above a threshold, then
-- received and billed. Received (or billed) orders are the tenant's costs, read next to its
-- invoiced revenue as gross margin.

-- Above this amount (per currency) an order waits for a second platform admin's approval
-- (tenancy's change requests, setting `purchase_order`); at or below it, it is approved when
-- created. Policy data: the application role reads it, only a migration changes it.
CREATE TABLE procurement_thresholds (
  currency char(3) PRIMARY KEY REFERENCES currencies (code),
  four_eyes_above_minor bigint NOT NULL CHECK (four_eyes_above_minor >= 0)
);
INSERT INTO procurement_thresholds (currency, four_eyes_above_minor) VALUES ('USD', 500000), ('EUR', 500000), ('GBP', 400000);

-- The next purchase-order number per issuer, in the style of document_sequences (008): taken in
-- the transaction that creates the order, so a rolled-back order gives its number back.
CREATE TABLE purchase_order_sequences (
  issuer text PRIMARY KEY REFERENCES currencies (issuer),
  next_number bigint NOT NULL CHECK (next_number >= 1)
);
INSERT INTO purchase_order_sequences (issuer, next_number) SELECT issuer, 1 FROM currencies;

-- `CG-US-PO-000001`: the row lock serialises orders of one issuer until the transaction ends.
CREATE FUNCTION next_purchase_order_number(p_issuer text) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = erp, pg_catalog AS $$
DECLARE
  taken bigint;
BEGIN
  UPDATE purchase_order_sequences SET next_number = next_number + 1 WHERE issuer = p_issuer
  RETURNING next_number - 1 INTO taken;
  IF taken IS NULL THEN
    RAISE EXCEPTION 'no purchase-order sequence for %', p_issuer USING ERRCODE = 'check_violation';
  END IF;
  RETURN p_issuer || '-PO-' || lpad(taken::text, 6, '0');
END;
$$;
REVOKE ALL ON FUNCTION next_purchase_order_number(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION next_purchase_order_number(text) TO caregraph_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON procurement_thresholds, purchase_order_sequences FROM caregraph_app;

--   draft ─► pending_approval ─► approved ─► received ─► billed
--              │                   │  └─► canceled      (an order is created as approved, or
--              └─► rejected        └─────────────────     pending_approval above the threshold)
--              └─► canceled
CREATE TABLE purchase_orders (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  number text NOT NULL UNIQUE,
  issuer text NOT NULL REFERENCES currencies (issuer),
  category text NOT NULL CHECK (category IN ('implementation_services', 'connector_licence')),
  supplier text NOT NULL CHECK (length(supplier) BETWEEN 1 AND 200),
  -- What is bought, in commercial terms: never a patient or a clinical detail.
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency char(3) NOT NULL REFERENCES currencies (code),
  status text NOT NULL CHECK (status IN ('draft', 'pending_approval', 'approved', 'received', 'billed', 'rejected', 'canceled')),
  -- The four-eyes request in tenancy (change_requests.id) when the amount is above the threshold.
  change_request_id uuid UNIQUE,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  approved_at timestamptz,
  approved_by text,
  -- The day the service or licence was received: the day the cost counts on.
  received_on date,
  received_at timestamptz,
  billed_at timestamptz,
  -- The supplier's invoice reference, when billed.
  supplier_invoice_ref text CHECK (length(supplier_invoice_ref) BETWEEN 1 AND 100),
  rejected_at timestamptz,
  canceled_at timestamptz,
  CHECK (status NOT IN ('approved', 'received', 'billed') OR approved_at IS NOT NULL),
  CHECK (status NOT IN ('received', 'billed') OR (received_on IS NOT NULL AND received_at IS NOT NULL)),
  CHECK (status <> 'billed' OR billed_at IS NOT NULL),
  CHECK (status <> 'rejected' OR rejected_at IS NOT NULL),
  CHECK (status <> 'canceled' OR canceled_at IS NOT NULL)
);
CREATE INDEX purchase_orders_tenant_idx ON purchase_orders (tenant_id, created_at DESC);
CREATE INDEX purchase_orders_received_idx ON purchase_orders (received_on) WHERE status IN ('received', 'billed');

-- Only forward along the diagram; what was bought never changes after creation.
CREATE FUNCTION purchase_orders_transitions() RETURNS trigger LANGUAGE plpgsql SET search_path = erp, pg_catalog AS $$
BEGIN
  IF NEW.tenant_id <> OLD.tenant_id OR NEW.number <> OLD.number OR NEW.amount_minor <> OLD.amount_minor OR NEW.currency <> OLD.currency
     OR NEW.category <> OLD.category OR NEW.supplier <> OLD.supplier OR NEW.description <> OLD.description THEN
    RAISE EXCEPTION 'purchase order % cannot change what it buys', OLD.number USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.status <> OLD.status AND NOT (OLD.status, NEW.status) IN (
       ('draft', 'pending_approval'), ('draft', 'approved'), ('draft', 'canceled'),
       ('pending_approval', 'approved'), ('pending_approval', 'rejected'), ('pending_approval', 'canceled'),
       ('approved', 'received'), ('approved', 'canceled'), ('received', 'billed')) THEN
    RAISE EXCEPTION 'purchase order % cannot move from % to %', OLD.number, OLD.status, NEW.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER purchase_orders_transitions BEFORE UPDATE ON purchase_orders FOR EACH ROW EXECUTE FUNCTION purchase_orders_transitions();

REVOKE DELETE, TRUNCATE ON purchase_orders FROM caregraph_app;
ALTER TABLE purchase_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON purchase_orders
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
