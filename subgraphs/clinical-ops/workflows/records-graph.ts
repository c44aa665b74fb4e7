/**
 * The workflows' records in the graph (docs/workloads.md): claims, eligibility checks, reminders
 * and filed visit records, each with its run's state, and the mutations that start them. Clinical
 * data: tenant level only, as every clinical read and write.
 */
import { BadUserInputError } from '../../../lib/errors.js';
import { isUuid } from '../../../lib/ids.js';
import type { ClinicalContext } from '../context.js';
import { toFhirClaim } from '../fhir/claim.js';
import { assertTenantLevel } from '../requests.js';
import { submitClaim, type SubmitClaimInput } from './claims.js';
import { fileVisitRecord } from './documents.js';
import { checkEligibility, type CheckEligibilityInput } from './eligibility.js';
import { RUN_COLUMNS, toRun, type RunRow } from './graph.js';
import { sendAppointmentReminder } from './reminders.js';

const runColumns = RUN_COLUMNS.split(', ').map((column) => `r.${column}`).join(', ');

interface ClaimRow extends RunRow {
  claim_status: string;
  tenant_id: string;
  patient_id: string;
  coverage_id: string;
  provider_id: string;
  location_id: string;
  service_date: string;
  lines: { procedureCode: string; chargeMinor: number; units: number }[];
  total_minor: string;
  currency: string;
  payer_status: 'accepted' | 'rejected' | null;
  payer_claim_id: string | null;
  payer_reasons: { code: string; message: string | null }[] | null;
  submitted_at: Date | null;
  created_at: Date;
}

/** A claim's status: its run's, with the payer's verdict once it answered (computed here so `claims(status)` filters in SQL). */
const CLAIM_STATUS_SQL = `CASE r.status WHEN 'queued' THEN 'QUEUED' WHEN 'in_flight' THEN 'SUBMITTING' WHEN 'retry_scheduled' THEN 'RETRY_SCHEDULED'
       WHEN 'succeeded' THEN CASE WHEN k.payer_status = 'rejected' THEN 'REJECTED' ELSE 'ACCEPTED' END
       WHEN 'rejected' THEN 'REJECTED' ELSE 'DEAD_LETTERED' END`;

const CLAIM_SELECT = `SELECT ${runColumns}, ${CLAIM_STATUS_SQL} AS claim_status, k.tenant_id, k.patient_id, k.coverage_id, k.provider_id, k.location_id, to_char(k.service_date, 'YYYY-MM-DD') AS service_date,
       k.lines, k.total_minor, k.currency, k.payer_status, k.payer_claim_id, k.payer_reasons, k.submitted_at, k.created_at
  FROM claims k JOIN workflow_runs r ON r.id = k.id`;

// `tenant_id` and `patient_id` ride along for the PHI audit (phi-audit.ts), which records each PHI read by record.
const toClaim = (row: ClaimRow) => ({
  id: row.id,
  tenant_id: row.tenant_id,
  patient_id: row.patient_id,
  status: row.claim_status,
  attempts: row.attempts,
  lastErrorCode: row.last_error_code,
  lastError: row.last_error,
  submittedAt: row.submitted_at?.toISOString() ?? null,
  payerClaimId: row.payer_claim_id,
  payerReasons: (row.payer_reasons ?? []).map((reason) => (reason.message ? `${reason.code}: ${reason.message}` : reason.code)),
  totalMinor: Number(row.total_minor),
  currency: row.currency,
  serviceDate: row.service_date,
  patientId: row.patient_id,
  run: toRun(row),
  fhir: () =>
    JSON.stringify(
      toFhirClaim({
        id: row.id,
        tenantId: row.tenant_id,
        patientId: row.patient_id,
        coverageId: row.coverage_id,
        providerId: row.provider_id,
        locationId: row.location_id,
        serviceDate: row.service_date,
        lines: row.lines,
        totalMinor: Number(row.total_minor),
        currency: row.currency,
        status: row.payer_status ?? (row.status === 'rejected' || row.status === 'dead_lettered' ? 'rejected' : 'submitted'),
        payerClaimId: row.payer_claim_id,
        createdAt: row.created_at,
      }),
    ),
});

/**
 * One workflow record by id, read with its run at tenant level: `select` ends in the record's
 * table as `alias` joined to its run. Null when the id is not a uuid or no row is visible.
 */
async function recordById<Row extends RunRow, Record>(ctx: ClinicalContext, id: string, select: string, alias: string, toRecord: (row: Row) => Record): Promise<Record | null> {
  assertTenantLevel(ctx.tenant);
  if (!isUuid(id)) return null;
  const [row] = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<Row>(`${select} WHERE ${alias}.id = $1`, [id]));
  return row ? toRecord(row) : null;
}

const claimById = (ctx: ClinicalContext, id: string) => recordById(ctx, id, CLAIM_SELECT, 'k', toClaim);

interface CheckRow extends RunRow {
  tenant_id: string;
  patient_id: string;
  active: boolean | null;
  plan_name: string | null;
  copay_minor: string | null;
  deductible_remaining_minor: string | null;
  answered_at: Date | null;
}

const toCheck = (row: CheckRow) => ({
  id: row.id,
  tenant_id: row.tenant_id,
  patient_id: row.patient_id,
  status: row.status.toUpperCase(),
  attempts: row.attempts,
  lastErrorCode: row.last_error_code,
  lastError: row.last_error,
  answeredAt: row.answered_at?.toISOString() ?? null,
  result:
    row.active === null
      ? null
      : {
          id: row.id,
          tenant_id: row.tenant_id,
          patient_id: row.patient_id,
          active: row.active,
          planName: row.plan_name,
          copayMinor: row.copay_minor === null ? null : Number(row.copay_minor),
          deductibleRemainingMinor: row.deductible_remaining_minor === null ? null : Number(row.deductible_remaining_minor),
        },
  run: toRun(row),
});

const checkById = (ctx: ClinicalContext, id: string) =>
  recordById(
    ctx,
    id,
    `SELECT ${runColumns}, e.tenant_id, e.patient_id, e.active, e.plan_name, e.copay_minor, e.deductible_remaining_minor, e.answered_at FROM eligibility_checks e JOIN workflow_runs r ON r.id = e.id`,
    'e',
    toCheck,
  );

type ReminderRow = RunRow & { channel: string; message_id: string | null; sent_at: Date | null; appointment_id: string };

const reminderById = (ctx: ClinicalContext, id: string) =>
  recordById(ctx, id, `SELECT ${runColumns}, m.channel, m.message_id, m.sent_at, m.appointment_id FROM reminders m JOIN workflow_runs r ON r.id = m.id`, 'm', (row: ReminderRow) => ({
    id: row.id,
    status: row.status.toUpperCase(),
    appointmentId: row.appointment_id,
    channel: row.channel.toUpperCase(),
    attempts: row.attempts,
    lastErrorCode: row.last_error_code,
    messageId: row.message_id,
    sentAt: row.sent_at?.toISOString() ?? null,
    run: toRun(row),
  }));

type DocumentRow = RunRow & { kind: string; ehr_reference: string | null; filed_at: Date | null; appointment_id: string };

const documentById = (ctx: ClinicalContext, id: string) =>
  recordById(ctx, id, `SELECT ${runColumns}, d.kind, d.ehr_reference, d.filed_at, d.appointment_id FROM documents d JOIN workflow_runs r ON r.id = d.id`, 'd', (row: DocumentRow) => ({
    id: row.id,
    status: row.status.toUpperCase(),
    appointmentId: row.appointment_id,
    kind: row.kind.toUpperCase(),
    attempts: row.attempts,
    lastErrorCode: row.last_error_code,
    ehrReference: row.ehr_reference,
    filedAt: row.filed_at?.toISOString() ?? null,
    run: toRun(row),
  }));

const CLAIM_STATUSES = ['QUEUED', 'SUBMITTING', 'RETRY_SCHEDULED', 'ACCEPTED', 'REJECTED', 'DEAD_LETTERED'];

export const workflowRecordResolvers = {
  Query: {
    claim: (_: unknown, args: { id: string }, ctx: ClinicalContext) => claimById(ctx, args.id),
    async claims(_: unknown, args: { status?: string | null; first?: number | null }, ctx: ClinicalContext) {
      assertTenantLevel(ctx.tenant);
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be 1–200', { argument: 'first' });
      if (args.status != null && !CLAIM_STATUSES.includes(args.status)) throw new BadUserInputError(`status must be one of ${CLAIM_STATUSES.join(', ')}`, { argument: 'status' });
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<ClaimRow>(`${CLAIM_SELECT} WHERE ($1::text IS NULL OR ${CLAIM_STATUS_SQL} = $1) ORDER BY k.created_at DESC, k.id LIMIT $2`, [args.status ?? null, first]),
      );
      return rows.map(toClaim);
    },
    eligibilityCheck: (_: unknown, args: { id: string }, ctx: ClinicalContext) => checkById(ctx, args.id),
    reminder: (_: unknown, args: { id: string }, ctx: ClinicalContext) => reminderById(ctx, args.id),
    visitRecord: (_: unknown, args: { id: string }, ctx: ClinicalContext) => documentById(ctx, args.id),
  },
  Mutation: {
    async submitClaim(_: unknown, args: { input: SubmitClaimInput }, ctx: ClinicalContext) {
      const { id } = await submitClaim(ctx, args.input);
      return claimById(ctx, id);
    },
    async checkEligibility(_: unknown, args: { input: CheckEligibilityInput }, ctx: ClinicalContext) {
      const { id } = await checkEligibility(ctx, args.input);
      return checkById(ctx, id);
    },
    async sendAppointmentReminder(_: unknown, args: { appointmentId: unknown; channel: unknown }, ctx: ClinicalContext) {
      const { id } = await sendAppointmentReminder(ctx, args);
      return reminderById(ctx, id);
    },
    async fileVisitRecord(_: unknown, args: { appointmentId: unknown }, ctx: ClinicalContext) {
      const { id } = await fileVisitRecord(ctx, args);
      return documentById(ctx, id);
    },
  },
};
