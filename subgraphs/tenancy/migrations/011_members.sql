-- A tenant's members (subgraphs/tenancy/members.ts): people invited by e-mail with tenant roles,
-- bound to their identity provider's subject when they accept, deactivated when they leave. The
-- gateway maps a member's token to the roles held here (gateway/authenticate.ts).
CREATE TABLE tenant_members (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  -- Lowercased; a staff member's work address, never a patient's.
  email text NOT NULL CHECK (email ~ '^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}$' AND email = lower(email)),
  roles text[] NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['tenant_admin', 'clinician', 'biller']),
  -- `user:<sub>` of the identity provider's token that accepted the invitation.
  principal_id text,
  status text NOT NULL CHECK (status IN ('invited', 'active', 'deactivated')),
  -- SHA-256 of the invitation token (shown once); cleared when accepted.
  invitation_hash text UNIQUE CHECK (invitation_hash ~ '^[0-9a-f]{64}$'),
  invitation_expires_at timestamptz,
  invited_by text NOT NULL,
  invited_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz,
  deactivated_at timestamptz,
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, principal_id)
);
REVOKE DELETE, TRUNCATE ON tenant_members FROM caregraph_app;

ALTER TABLE tenant_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_members
  USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()))
  WITH CHECK (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
