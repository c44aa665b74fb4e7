-- Clinical records (docs/clinical-records.md): the tenant's providers and locations, appointments
-- booked with both (and checked in before they are completed), the payer directory, and patients'
-- insurance coverages. Every tenant table carries tenant_id under the same row-level security as
-- 001's, so a placement move (lib/db/tenant-databases.ts) carries it, and no foreign key points at
-- an identity column (a move would renumber it): every key here is a uuid or a text id.

-- An NPI is 10 digits whose last is a Luhn check digit computed over the prefix 80840 and the
-- first nine (CMS, "Requirements for the NPI check digit"); 80840 contributes 24 to the sum.
-- The application checks it too (providers.ts), with a message; this keeps the table honest.
CREATE FUNCTION npi_is_valid(npi text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT CASE WHEN npi ~ '^[0-9]{10}$' THEN (
      SELECT (24 + substr(npi, 10, 1)::int
                 + sum(CASE WHEN i % 2 = 1 THEN (2 * d) / 10 + (2 * d) % 10 ELSE d END)) % 10 = 0
        FROM (SELECT i, substr(npi, i, 1)::int AS d FROM generate_series(1, 9) AS i) AS digits
    ) ELSE false END
  $$;

-- The clinicians who see patients. Staff, not patients: nothing here is PHI. A provider is
-- deactivated rather than deleted, since past appointments keep pointing at it.
CREATE TABLE providers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  npi text NOT NULL CHECK (npi_is_valid(npi)),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  specialty text NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- One NPI names one person: once per tenant.
  UNIQUE (tenant_id, npi)
);

-- Where patients are seen: a clinic, a room, a site. No patient data.
CREATE TABLE locations (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- IANA zone (America/Chicago), checked by the application against the runtime's zone list.
  timezone text NOT NULL CHECK (timezone ~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$'),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

-- Appointments are booked with a provider at a location. Nullable: rows written before this
-- migration (and by importers that do not know them) have neither, and no default could be right
-- for a tenant; the API requires both for every appointment it schedules, the demo seed fills
-- them in, and the conflict checks apply to appointments that have them.
ALTER TABLE appointments
  ADD COLUMN provider_id uuid REFERENCES providers (id),
  ADD COLUMN location_id uuid REFERENCES locations (id),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- A patient who arrived is CHECKED_IN before the visit is COMPLETED (scheduling.ts has the moves).
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('scheduled', 'checked_in', 'completed', 'canceled', 'no_show'));
-- The conflict checks read a provider's and a location's blocking appointments around a time.
CREATE INDEX appointments_provider_blocking_idx ON appointments (provider_id, starts_at) WHERE status IN ('scheduled', 'checked_in');
CREATE INDEX appointments_location_blocking_idx ON appointments (location_id, starts_at) WHERE status IN ('scheduled', 'checked_in');

-- The payers coverages may name: reference data the platform manages, the same for every tenant
-- (no tenant_id, so no row-level security and no placement move: every tenant database gets its
-- copy from this migration). Read-only to the application role. `member_id_pattern` is the
-- payer's member id format, checked when a coverage is added.
CREATE TABLE payers (
  id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,40}$'),
  name text NOT NULL,
  member_id_pattern text NOT NULL,
  active boolean NOT NULL DEFAULT true
);
INSERT INTO payers (id, name, member_id_pattern) VALUES
  ('acme-health', 'Acme Health Plans', '^ACM[0-9]{9}$'),
  ('bluepeak', 'BluePeak Insurance', '^BP[0-9]{8}[A-Z]$'),
  ('northstar-care', 'Northstar Care Alliance', '^NS-[0-9]{4}-[0-9]{6}$'),
  -- The shape of a Medicare Beneficiary Identifier (11 characters, no S, L, O, I, B or Z).
  ('medicare-sim', 'Medicare (simulated)', '^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}$');
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON payers FROM caregraph_app;

-- A patient's insurance with one payer: PHI (the member id identifies the person to the payer).
-- Ended, not deleted: claims of the past name the coverage they were billed to.
CREATE TABLE insurance_coverages (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES patients (id),
  payer_id text NOT NULL REFERENCES payers (id),
  member_id text NOT NULL CHECK (member_id ~ '^[A-Z0-9-]{4,30}$'),
  group_number text CHECK (group_number ~ '^[A-Za-z0-9-]{1,30}$'),
  plan_name text NOT NULL CHECK (length(plan_name) BETWEEN 1 AND 100),
  -- The patient's relationship to the subscriber (FHIR's subscriber-relationship codes).
  relationship text NOT NULL CHECK (relationship IN ('self', 'spouse', 'child', 'parent', 'common', 'other', 'injured')),
  start_date date NOT NULL,
  end_date date,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date IS NULL OR end_date >= start_date),
  CHECK (status = 'active' OR end_date IS NOT NULL)
);
CREATE INDEX insurance_coverages_patient_idx ON insurance_coverages (patient_id);
-- One live coverage per patient, payer and member id: adding it twice is refused.
CREATE UNIQUE INDEX insurance_coverages_active_idx ON insurance_coverages (tenant_id, patient_id, payer_id, member_id) WHERE status = 'active';

ALTER TABLE providers ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON providers
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

ALTER TABLE locations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON locations
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));

ALTER TABLE insurance_coverages ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON insurance_coverages
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()));
