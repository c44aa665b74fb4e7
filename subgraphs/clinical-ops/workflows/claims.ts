/**
 * Claim submission (docs/workloads.md): `submitClaim` records a claim against a patient's active
 * coverage and starts its run; the claims queue sends it to the payer as an 837P under the run's
 * idempotency key, and records the payer's answer — ACCEPTED or REJECTED — under its claim number.
 * **A claim reaches the payer at most once**: the key is the same on every attempt (the payer
 * answers a key it knows with its first answer), and an attempt whose worker died after sending
 * first asks the payer what it received under the key (`recover`) and records that instead.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../../../lib/db/index.js';
import { BadUserInputError, NotFoundError } from '../../../lib/errors.js';
import { requireUuid } from '../../../lib/ids.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import type { ClinicalContext } from '../context.js';
import { integrationGatewayFor } from '../integrations/gateway.js';
import type { ClaimAnswer, ClaimPayload } from '../integrations/payer-claims.js';
import { assertTenantLevel, requireDate } from '../requests.js';
import { startRun, workflowJobs, type WorkflowSpec } from './runner.js';

export interface ClaimLineInput {
  procedureCode: string;
  chargeMinor: number;
  units?: number | null;
}

export interface SubmitClaimInput {
  patientId: string;
  coverageId: string;
  providerId: string;
  locationId: string;
  appointmentId?: string | null;
  serviceDate: string;
  diagnosisCodes: string[];
  lines: ClaimLineInput[];
}

const PROCEDURE = /^[A-Z0-9]{5}$/;
const DIAGNOSIS = /^[A-Z][0-9A-Z]{2}\.?[0-9A-Z]{0,4}$/;

/** The claim's lines and total, checked: whole minor units, 1–50 lines, CPT/HCPCS-shaped codes. */
export function claimLines(input: Pick<SubmitClaimInput, 'lines' | 'diagnosisCodes'>): { lines: { procedureCode: string; chargeMinor: number; units: number }[]; totalMinor: number } {
  if (!Array.isArray(input.diagnosisCodes) || input.diagnosisCodes.length < 1 || input.diagnosisCodes.length > 12 || !input.diagnosisCodes.every((code) => DIAGNOSIS.test(code))) {
    throw new BadUserInputError('input.diagnosisCodes must be 1–12 ICD-10-CM codes such as J06.9', { argument: 'input.diagnosisCodes' });
  }
  if (!Array.isArray(input.lines) || input.lines.length < 1 || input.lines.length > 50) throw new BadUserInputError('input.lines must hold 1–50 service lines', { argument: 'input.lines' });
  const lines = input.lines.map((line, index) => {
    const argument = `input.lines[${index}]`;
    if (!PROCEDURE.test(line.procedureCode ?? '')) throw new BadUserInputError(`${argument}.procedureCode must be a 5-character CPT/HCPCS code`, { argument: `${argument}.procedureCode` });
    if (!Number.isInteger(line.chargeMinor) || line.chargeMinor < 1 || line.chargeMinor > 99_999_999) {
      throw new BadUserInputError(`${argument}.chargeMinor must be a whole number of minor units, 1–99999999`, { argument: `${argument}.chargeMinor` });
    }
    const units = line.units ?? 1;
    if (!Number.isInteger(units) || units < 1 || units > 999) throw new BadUserInputError(`${argument}.units must be a whole number, 1–999`, { argument: `${argument}.units` });
    return { procedureCode: line.procedureCode, chargeMinor: line.chargeMinor, units };
  });
  return { lines, totalMinor: lines.reduce((sum, line) => sum + line.chargeMinor, 0) };
}

export async function submitClaim(ctx: ClinicalContext, input: SubmitClaimInput, today = new Date().toISOString().slice(0, 10)): Promise<{ id: string }> {
  assertTenantLevel(ctx.tenant);
  const tenant = ctx.tenant;
  const patientId = requireUuid(input.patientId, 'input.patientId');
  const coverageId = requireUuid(input.coverageId, 'input.coverageId');
  const providerId = requireUuid(input.providerId, 'input.providerId');
  const locationId = requireUuid(input.locationId, 'input.locationId');
  const appointmentId = input.appointmentId == null ? null : requireUuid(input.appointmentId, 'input.appointmentId');
  const serviceDate = requireDate(input.serviceDate, 'input.serviceDate');
  if (serviceDate > today) throw new BadUserInputError(`input.serviceDate cannot be in the future (today is ${today} UTC)`, { argument: 'input.serviceDate' });
  const { lines, totalMinor } = claimLines(input);
  const id = randomUUID();
  await ctx.db.withTenant(tenant, async (tx) => {
    const [refs] = await tx.query<{ coverage: string | null; provider: string | null; location: string | null; appointment: string | null }>(
      `SELECT (SELECT status FROM insurance_coverages WHERE id = $1 AND patient_id = $2) AS coverage,
              (SELECT CASE WHEN active THEN 'active' ELSE 'inactive' END FROM providers WHERE id = $3) AS provider,
              (SELECT CASE WHEN active THEN 'active' ELSE 'inactive' END FROM locations WHERE id = $4) AS location,
              (SELECT status FROM appointments WHERE id = $5 AND patient_id = $2) AS appointment`,
      [coverageId, patientId, providerId, locationId, appointmentId],
    );
    if (refs!.coverage !== 'active') throw new BadUserInputError('input.coverageId must be an active coverage of the patient', { argument: 'input.coverageId' });
    if (refs!.provider !== 'active') throw new BadUserInputError('input.providerId must be an active provider of the tenant', { argument: 'input.providerId' });
    if (refs!.location !== 'active') throw new BadUserInputError('input.locationId must be an active location of the tenant', { argument: 'input.locationId' });
    if (appointmentId && !refs!.appointment) throw new NotFoundError('No such appointment of the patient');
    await startRun(tx, tenant, 'claims', id);
    await tx.query(
      `INSERT INTO claims (id, tenant_id, patient_id, coverage_id, provider_id, location_id, appointment_id, service_date, diagnosis_codes, lines, total_minor, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [id, tenant.tenantId, patientId, coverageId, providerId, locationId, appointmentId, serviceDate, input.diagnosisCodes, JSON.stringify(lines), totalMinor, tenant.principal.id],
    );
  });
  return { id };
}

interface ClaimInputRow {
  tenant_id: string;
  payer_id: string;
  member_id: string;
  given_name: string;
  family_name: string;
  birth_date: string;
  npi: string;
  provider_name: string;
  service_date: string;
  diagnosis_codes: string[];
  lines: { procedureCode: string; chargeMinor: number; units: number }[];
}

/** The claim's 837P input: its coverage, patient and provider as they are now. */
async function prepare(tx: Tx, runId: string, idempotencyKey: string) {
  const [row] = await tx.query<ClaimInputRow>(
    `SELECT k.tenant_id, c.payer_id, c.member_id, p.given_name, p.family_name, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, v.npi, v.name AS provider_name,
            to_char(k.service_date, 'YYYY-MM-DD') AS service_date, k.diagnosis_codes, k.lines
       FROM claims k JOIN insurance_coverages c ON c.id = k.coverage_id JOIN patients p ON p.id = k.patient_id JOIN providers v ON v.id = k.provider_id
      WHERE k.id = $1`,
    [runId],
  );
  if (!row) return null;
  const payload: ClaimPayload = {
    payerId: row.payer_id,
    claimId: runId,
    memberId: row.member_id,
    patient: { givenName: row.given_name, familyName: row.family_name, birthDate: row.birth_date },
    provider: { npi: row.npi, name: row.provider_name },
    diagnosisCodes: row.diagnosis_codes,
    lines: row.lines.map((line) => ({ ...line, serviceDate: row.service_date })),
  };
  return { tenantId: row.tenant_id, idempotencyKey, payload };
}

export const claimSpec: WorkflowSpec<ClaimPayload, ClaimAnswer> = {
  workflow: 'claims',
  prepare,
  call: (_context: TenantContext, request, db: Database) => integrationGatewayFor(db).payerClaims.call(request),
  async recover(_context, request, db) {
    const found = await integrationGatewayFor(db).payerClaims.lookup(request.tenantId, request.payload.payerId, request.idempotencyKey, { signal: request.signal });
    if (found.kind !== 'accepted') return found;
    return found.body.received ? { kind: 'accepted', body: found.body.claim, latencyMs: found.latencyMs } : null;
  },
  async onAccepted(tx, runId, answer) {
    await tx.query(`UPDATE claims SET payer_status = $2, payer_claim_id = $3, payer_reasons = $4, submitted_at = now() WHERE id = $1`, [
      runId,
      answer.status,
      answer.payerClaimId,
      JSON.stringify(answer.reasons),
    ]);
  },
};

export const claimJobs = workflowJobs(claimSpec);
