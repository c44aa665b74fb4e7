-- The business records of the workflows (docs/workloads.md), each under its run's id
-- (workflow_runs, 013): what was asked and what the external system answered. The run holds the
-- processing state; these hold the clinical facts, so they are PHI where they name a patient.

CREATE TABLE eligibility_checks (
  id uuid PRIMARY KEY REFERENCES workflow_runs (id),
  tenant_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES patients (id),
  coverage_id uuid NOT NULL REFERENCES insurance_coverages (id),
  provider_id uuid NOT NULL REFERENCES providers (id),
  service_date date NOT NULL,
  -- The payer's answer (271), once it came.
  active boolean,
  plan_name text,
  copay_minor bigint CHECK (copay_minor >= 0),
  deductible_remaining_minor bigint CHECK (deductible_remaining_minor >= 0),
  answered_at timestamptz,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX eligibility_checks_patient_idx ON eligibility_checks (tenant_id, patient_id, created_at DESC);

CREATE TABLE claims (
  id uuid PRIMARY KEY REFERENCES workflow_runs (id),
  tenant_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES patients (id),
  coverage_id uuid NOT NULL REFERENCES insurance_coverages (id),
  provider_id uuid NOT NULL REFERENCES providers (id),
  location_id uuid NOT NULL REFERENCES locations (id),
  appointment_id uuid REFERENCES appointments (id),
  service_date date NOT NULL,
  diagnosis_codes text[] NOT NULL CHECK (cardinality(diagnosis_codes) BETWEEN 1 AND 12),
  -- [{ procedureCode, chargeMinor, units }], 1–50 lines; total_minor is their sum.
  lines jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array' AND jsonb_array_length(lines) BETWEEN 1 AND 50),
  total_minor bigint NOT NULL CHECK (total_minor > 0),
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  -- The payer's answer, once it came: accepted or rejected, under its claim number.
  payer_status text CHECK (payer_status IN ('accepted', 'rejected')),
  payer_claim_id text,
  payer_reasons jsonb,
  submitted_at timestamptz,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_patient_idx ON claims (tenant_id, patient_id, created_at DESC);

CREATE TABLE reminders (
  id uuid PRIMARY KEY REFERENCES workflow_runs (id),
  tenant_id uuid NOT NULL,
  appointment_id uuid NOT NULL REFERENCES appointments (id),
  channel text NOT NULL CHECK (channel IN ('sms', 'email')),
  message_id text,
  sent_at timestamptz,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reminders_appointment_idx ON reminders (tenant_id, appointment_id);

CREATE TABLE documents (
  id uuid PRIMARY KEY REFERENCES workflow_runs (id),
  tenant_id uuid NOT NULL,
  appointment_id uuid NOT NULL REFERENCES appointments (id),
  -- visit_record: the visit's FHIR R4 Appointment, filed with the tenant's EHR.
  kind text NOT NULL CHECK (kind IN ('visit_record')),
  -- The EHR's id of the record filed, once it was.
  ehr_reference text,
  filed_at timestamptz,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_appointment_idx ON documents (tenant_id, appointment_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['eligibility_checks', 'claims', 'reminders', 'documents'] LOOP
    EXECUTE format('REVOKE DELETE, TRUNCATE ON %I FROM caregraph_app', t);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
      WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()))$p$, t);
  END LOOP;
END $$;
