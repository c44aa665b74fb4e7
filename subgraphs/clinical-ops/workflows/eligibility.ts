/**
 * Eligibility checks (docs/workloads.md): `checkEligibility` asks, for a patient's coverage and a
 * provider on a date, whether the payer covers the patient — a 270 inquiry on the eligibility
 * queue, the 271 answer recorded on the check (active, plan, copay, remaining deductible). An
 * inquiry changes nothing at the payer, so a repeated one is harmless; the key keeps it single
 * all the same.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../../lib/db/index.js';
import { BadUserInputError } from '../../../lib/errors.js';
import { requireUuid } from '../../../lib/ids.js';
import type { ClinicalContext } from '../context.js';
import { integrationGatewayFor } from '../integrations/gateway.js';
import type { EligibilityAnswer, EligibilityPayload } from '../integrations/payer-eligibility.js';
import { assertTenantLevel, requireDate } from '../requests.js';
import { startRun, workflowJobs, type WorkflowSpec } from './runner.js';

export interface CheckEligibilityInput {
  coverageId: string;
  providerId: string;
  serviceDate?: string | null;
}

export async function checkEligibility(ctx: ClinicalContext, input: CheckEligibilityInput, today = new Date().toISOString().slice(0, 10)): Promise<{ id: string }> {
  assertTenantLevel(ctx.tenant);
  const tenant = ctx.tenant;
  const coverageId = requireUuid(input.coverageId, 'input.coverageId');
  const providerId = requireUuid(input.providerId, 'input.providerId');
  const serviceDate = input.serviceDate == null ? today : requireDate(input.serviceDate, 'input.serviceDate');
  const id = randomUUID();
  await ctx.db.withTenant(tenant, async (tx) => {
    const [refs] = await tx.query<{ patient_id: string | null; coverage: string | null; provider: boolean | null }>(
      `SELECT (SELECT patient_id FROM insurance_coverages WHERE id = $1) AS patient_id, (SELECT status FROM insurance_coverages WHERE id = $1) AS coverage,
              (SELECT active FROM providers WHERE id = $2) AS provider`,
      [coverageId, providerId],
    );
    if (refs!.coverage !== 'active') throw new BadUserInputError('input.coverageId must be an active coverage of the tenant', { argument: 'input.coverageId' });
    if (refs!.provider !== true) throw new BadUserInputError('input.providerId must be an active provider of the tenant', { argument: 'input.providerId' });
    await startRun(tx, tenant, 'eligibility_checks', id);
    await tx.query(
      `INSERT INTO eligibility_checks (id, tenant_id, patient_id, coverage_id, provider_id, service_date, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, tenant.tenantId, refs!.patient_id, coverageId, providerId, serviceDate, tenant.principal.id],
    );
  });
  return { id };
}

async function prepare(tx: Tx, runId: string, idempotencyKey: string) {
  const [row] = await tx.query<{
    tenant_id: string;
    payer_id: string;
    member_id: string;
    given_name: string;
    family_name: string;
    birth_date: string;
    npi: string;
    provider_name: string;
    service_date: string;
  }>(
    `SELECT e.tenant_id, c.payer_id, c.member_id, p.given_name, p.family_name, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, v.npi, v.name AS provider_name,
            to_char(e.service_date, 'YYYY-MM-DD') AS service_date
       FROM eligibility_checks e JOIN insurance_coverages c ON c.id = e.coverage_id JOIN patients p ON p.id = e.patient_id JOIN providers v ON v.id = e.provider_id
      WHERE e.id = $1`,
    [runId],
  );
  if (!row) return null;
  const payload: EligibilityPayload = {
    payerId: row.payer_id,
    memberId: row.member_id,
    patient: { givenName: row.given_name, familyName: row.family_name, birthDate: row.birth_date },
    provider: { npi: row.npi, name: row.provider_name },
    serviceDate: row.service_date,
  };
  return { tenantId: row.tenant_id, idempotencyKey, payload };
}

export const eligibilitySpec: WorkflowSpec<EligibilityPayload, EligibilityAnswer> = {
  workflow: 'eligibility_checks',
  prepare,
  call: (_context, request, db) => integrationGatewayFor(db).payerEligibility.call(request),
  async onAccepted(tx, runId, answer) {
    await tx.query(
      `UPDATE eligibility_checks SET active = $2, plan_name = $3, copay_minor = $4, deductible_remaining_minor = $5, answered_at = now() WHERE id = $1`,
      [runId, answer.active, answer.planName, answer.copayMinor, answer.deductibleRemainingMinor],
    );
  },
};

export const eligibilityJobs = workflowJobs(eligibilitySpec);
