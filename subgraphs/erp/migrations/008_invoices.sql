-- Invoices and what settles them (docs/billing.md): invoices numbered without gaps per issuer,
-- immutable once open; their lines; simulated payments; credit notes; a tenant's credit balance;
-- dunning; the contract's term; partner commissions as a ledger.

-- Dunning policy: an open invoice unpaid this many days after its due date moves the subscription
-- to PAST_DUE, and then asks the control plane to suspend the tenant. Policy data.
CREATE TABLE dunning_policy (
  policy text PRIMARY KEY CHECK (policy = 'default'),
  past_due_after_days integer NOT NULL CHECK (past_due_after_days >= 0),
  suspend_after_days integer NOT NULL,
  payment_terms_days integer NOT NULL CHECK (payment_terms_days >= 0),
  CHECK (suspend_after_days > past_due_after_days)
);
INSERT INTO dunning_policy VALUES ('default', 7, 30, 14);

-- The next number of each kind of document per issuer. Numbers are taken in the transaction that
-- opens the document, so a rolled-back invoice gives its number back: no gaps. The application
-- role takes numbers only through next_document_number.
CREATE TABLE document_sequences (
  issuer text NOT NULL REFERENCES currencies (issuer),
  kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
  next_number bigint NOT NULL CHECK (next_number >= 1),
  PRIMARY KEY (issuer, kind)
);
INSERT INTO document_sequences (issuer, kind, next_number)
SELECT c.issuer, k.kind, 1 FROM currencies c CROSS JOIN (VALUES ('invoice'), ('credit_note')) AS k (kind);

-- `CG-US-INV-000001`: the row lock serialises documents of one issuer until the transaction ends.
CREATE FUNCTION next_document_number(p_issuer text, p_kind text) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = erp, pg_catalog AS $$
DECLARE
  taken bigint;
BEGIN
  UPDATE document_sequences SET next_number = next_number + 1
   WHERE issuer = p_issuer AND kind = p_kind
  RETURNING next_number - 1 INTO taken;
  IF taken IS NULL THEN
    RAISE EXCEPTION 'no document sequence for % %', p_issuer, p_kind USING ERRCODE = 'check_violation';
  END IF;
  RETURN p_issuer || CASE p_kind WHEN 'invoice' THEN '-INV-' ELSE '-CN-' END || lpad(taken::text, 6, '0');
END;
$$;
REVOKE ALL ON FUNCTION next_document_number(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION next_document_number(text, text) TO caregraph_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON dunning_policy, document_sequences FROM caregraph_app;

-- The contract's current term: renewal moves its end by the term.
ALTER TABLE contracts
  ADD COLUMN term_start date,
  ADD COLUMN term_end date,
  ADD CONSTRAINT contracts_term_check CHECK (term_end IS NULL OR term_end > term_start);
UPDATE contracts SET term_start = (coalesce(activated_at, signed_at) AT TIME ZONE 'UTC')::date,
                     term_end = ((coalesce(activated_at, signed_at) AT TIME ZONE 'UTC')::date + make_interval(months => term_months))::date;

CREATE TABLE invoices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  -- Null while a draft; taken from the issuer's sequence when the invoice opens.
  number text UNIQUE,
  issuer text NOT NULL REFERENCES currencies (issuer),
  currency char(3) NOT NULL REFERENCES currencies (code),
  -- The service period the recurring lines cover: [period_start, period_end).
  period_start date NOT NULL,
  period_end date NOT NULL CHECK (period_end > period_start),
  catalog_version integer NOT NULL REFERENCES catalog_versions (version),
  issued_on date NOT NULL,
  due_on date NOT NULL CHECK (due_on >= issued_on),
  status text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void')),
  subtotal_minor bigint NOT NULL DEFAULT 0,
  tax_minor bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
  total_minor bigint NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
  paid_minor bigint NOT NULL DEFAULT 0 CHECK (paid_minor >= 0),
  credited_minor bigint NOT NULL DEFAULT 0 CHECK (credited_minor >= 0),
  -- Usage events received up to this instant are the ones this invoice charged for.
  usage_cutoff_at timestamptz NOT NULL,
  opened_at timestamptz,
  paid_at timestamptz,
  voided_at timestamptz,
  void_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- One invoice per tenant and period: the run repeated never bills twice.
  UNIQUE (tenant_id, period_start),
  CHECK (status = 'draft' OR number IS NOT NULL),
  CHECK (paid_minor + credited_minor <= total_minor)
);
CREATE INDEX invoices_open_idx ON invoices (due_on) WHERE status = 'open';

CREATE TABLE invoice_lines (
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  line_no integer NOT NULL CHECK (line_no >= 1),
  tenant_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('recurring', 'addon', 'proration', 'usage', 'credit', 'tax')),
  -- The plan, add-on or meter the line is for (null for a credit).
  item text,
  description text NOT NULL,
  quantity bigint NOT NULL,
  amount_minor bigint NOT NULL,
  -- The dates the line covers (a usage line: its month).
  covers_from date NOT NULL,
  covers_to date NOT NULL CHECK (covers_to >= covers_from),
  PRIMARY KEY (invoice_id, line_no)
);

-- An open invoice changes only by being settled: paid, credited or voided. Its lines, amounts,
-- number and dates never change again.
CREATE FUNCTION invoices_immutable_once_open() RETURNS trigger LANGUAGE plpgsql SET search_path = erp, pg_catalog AS $$
BEGIN
  IF OLD.status <> 'draft' AND (
       NEW.number IS DISTINCT FROM OLD.number OR NEW.tenant_id <> OLD.tenant_id OR NEW.currency <> OLD.currency
       OR NEW.period_start <> OLD.period_start OR NEW.period_end <> OLD.period_end OR NEW.issued_on <> OLD.issued_on
       OR NEW.due_on <> OLD.due_on OR NEW.subtotal_minor <> OLD.subtotal_minor OR NEW.tax_minor <> OLD.tax_minor
       OR NEW.total_minor <> OLD.total_minor OR NEW.catalog_version <> OLD.catalog_version
       OR NEW.usage_cutoff_at <> OLD.usage_cutoff_at) THEN
    RAISE EXCEPTION 'invoice % is % and cannot change', OLD.number, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status IN ('paid', 'void') AND NEW.status <> OLD.status THEN
    RAISE EXCEPTION 'invoice % is % already', OLD.number, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.status = 'open' AND NEW.status = 'draft' THEN
    RAISE EXCEPTION 'invoice % cannot return to draft', OLD.number USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_immutable_once_open BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION invoices_immutable_once_open();

CREATE FUNCTION invoice_lines_only_on_drafts() RETURNS trigger LANGUAGE plpgsql SET search_path = erp, pg_catalog AS $$
BEGIN
  IF (SELECT status FROM invoices WHERE id = NEW.invoice_id) IS DISTINCT FROM 'draft' THEN
    RAISE EXCEPTION 'lines are added to draft invoices only' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER invoice_lines_only_on_drafts BEFORE INSERT ON invoice_lines FOR EACH ROW EXECUTE FUNCTION invoice_lines_only_on_drafts();

CREATE TABLE payments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  received_on date NOT NULL,
  method text NOT NULL CHECK (method IN ('simulated', 'credit_balance')),
  -- The caller's reference: the same reference twice records one payment.
  reference text NOT NULL,
  recorded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, reference)
);

CREATE TABLE credit_notes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  number text NOT NULL UNIQUE,
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  -- The part that reduced what the invoice still owed; the rest went to the credit balance.
  applied_to_invoice_minor bigint NOT NULL CHECK (applied_to_invoice_minor >= 0 AND applied_to_invoice_minor <= amount_minor),
  reason text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  issued_on date NOT NULL,
  issued_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A tenant's credit balance as a ledger: credit notes and negative invoices add to it, invoices
-- draw on it. The balance is the sum.
CREATE TABLE credit_balance_entries (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  currency char(3) NOT NULL REFERENCES currencies (code),
  credit_note_id uuid REFERENCES credit_notes (id),
  invoice_id uuid REFERENCES invoices (id),
  created_on date NOT NULL,
  CHECK (credit_note_id IS NOT NULL OR invoice_id IS NOT NULL)
);
CREATE INDEX credit_balance_entries_tenant_idx ON credit_balance_entries (tenant_id);

-- Each dunning stage an invoice reached, once.
CREATE TABLE invoice_dunning (
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  tenant_id uuid NOT NULL,
  stage text NOT NULL CHECK (stage IN ('past_due', 'suspend')),
  reached_on date NOT NULL,
  PRIMARY KEY (invoice_id, stage)
);

-- Partner commissions: a rate per partner (optionally per plan), and a ledger of what each paid
-- invoice earned and each credit note clawed back, dated by the payment or the credit note.
CREATE TABLE commission_rates (
  partner_id uuid NOT NULL,
  -- Null: every plan without a rate of its own.
  plan_code text REFERENCES plans (code),
  rate_basis_points integer NOT NULL CHECK (rate_basis_points BETWEEN 0 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);
CREATE UNIQUE INDEX commission_rates_key ON commission_rates (partner_id, coalesce(plan_code, ''));

CREATE TABLE commission_entries (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL REFERENCES invoices (id),
  -- A clawback names the credit note; an earning names the payment.
  payment_id uuid REFERENCES payments (id),
  credit_note_id uuid REFERENCES credit_notes (id),
  period_start date NOT NULL CHECK (extract(day FROM period_start) = 1),
  base_minor bigint NOT NULL,
  rate_basis_points integer NOT NULL,
  amount_minor bigint NOT NULL,
  currency char(3) NOT NULL REFERENCES currencies (code),
  CHECK ((payment_id IS NULL) <> (credit_note_id IS NULL))
);
CREATE UNIQUE INDEX commission_entries_payment ON commission_entries (payment_id) WHERE payment_id IS NOT NULL;
CREATE UNIQUE INDEX commission_entries_credit_note ON commission_entries (credit_note_id) WHERE credit_note_id IS NOT NULL;

REVOKE DELETE, TRUNCATE ON invoices, invoice_lines, payments, credit_notes, credit_balance_entries, invoice_dunning, commission_entries FROM caregraph_app;
REVOKE UPDATE ON invoice_lines, payments, credit_notes, credit_balance_entries, invoice_dunning, commission_entries FROM caregraph_app;
REVOKE TRUNCATE ON commission_rates FROM caregraph_app;

ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE credit_balance_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_dunning ENABLE ROW LEVEL SECURITY;
ALTER TABLE commission_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE commission_rates ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invoices
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON invoice_lines
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON payments
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON credit_notes
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON credit_balance_entries
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
CREATE POLICY tenant_isolation ON invoice_dunning
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access())) WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
-- Commission entries are written in the tenant's payment transaction; partners read their own.
CREATE POLICY tenant_isolation ON commission_entries
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR partner_id = (SELECT caregraph.current_partner_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
-- Rates are set by platform admins; a partner reads its own, and a tenant's transaction reads
-- its own partner's (to compute what a payment earns), never another partner's.
CREATE POLICY read_rates ON commission_rates FOR SELECT
  USING ((SELECT caregraph.platform_access()) OR partner_id = (SELECT caregraph.current_partner_id())
         OR partner_id IN (SELECT partner_id FROM partner_attributions));
CREATE POLICY manage_rates ON commission_rates FOR ALL
  USING ((SELECT caregraph.platform_access())) WITH CHECK ((SELECT caregraph.platform_access()));
