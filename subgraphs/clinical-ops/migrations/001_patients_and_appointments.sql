-- Patients (protected health information) and their appointments, per tenant.

CREATE TABLE patients (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  -- Medical record number, unique within the tenant.
  mrn text NOT NULL,
  given_name text NOT NULL,
  family_name text NOT NULL,
  birth_date date NOT NULL,
  email text,
  phone text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, mrn)
);

CREATE TABLE appointments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES patients (id),
  starts_at timestamptz NOT NULL,
  duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
  status text NOT NULL CHECK (status IN ('scheduled', 'completed', 'canceled', 'no_show')),
  reason text NOT NULL
);
CREATE INDEX appointments_tenant_starts_idx ON appointments (tenant_id, starts_at);
CREATE INDEX appointments_patient_idx ON appointments (patient_id);

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patients
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id());

ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointments
  USING (tenant_id = caregraph.current_tenant_id() OR caregraph.platform_access())
  WITH CHECK (tenant_id = caregraph.current_tenant_id());
