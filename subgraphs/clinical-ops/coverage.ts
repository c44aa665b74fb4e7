/**
 * Insurance coverages: a patient's insurance with a payer of the platform's directory (`payers`,
 * read-only to the application). PHI: the member id identifies the person to the payer, and
 * which insurer and plan a person has says something about them. Coverages are ended, never
 * deleted: a claim of the past names the coverage it was billed to.
 */
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Database, Tx } from '../../lib/db/index.js';
import { BadUserInputError, InvalidTransitionError, NotFoundError, UnknownPayerError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';
import { assertTenantLevel, requireDate, requireText, uniqueViolation } from './requests.js';

export const RELATIONSHIPS = ['self', 'spouse', 'child', 'parent', 'common', 'other', 'injured'] as const;
export type SubscriberRelationship = (typeof RELATIONSHIPS)[number];

export interface CoverageRow {
  id: string;
  tenant_id: string;
  patient_id: string;
  payer_id: string;
  payer_name: string;
  member_id: string;
  group_number: string | null;
  plan_name: string;
  relationship: SubscriberRelationship;
  start_date: string;
  end_date: string | null;
  status: 'active' | 'ended';
}

export interface PayerRow {
  id: string;
  name: string;
  member_id_pattern: string;
}

/** Every coverage read carries its payer's name (the directory is small and the same for every tenant). */
export const COVERAGE_SELECT = `SELECT c.id, c.tenant_id, c.patient_id, c.payer_id, p.name AS payer_name, c.member_id, c.group_number, c.plan_name,
       c.relationship, to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date, c.status
  FROM insurance_coverages c JOIN payers p ON p.id = c.payer_id`;

export async function fetchCoveragesByPatients(tx: Tx, patientIds: readonly string[]): Promise<CoverageRow[]> {
  const valid = patientIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<CoverageRow>(`${COVERAGE_SELECT} WHERE c.patient_id = ANY($1::uuid[]) ORDER BY c.start_date, c.id`, [valid]);
}

/** Coverages of many patients in one statement, grouped per patient, earliest start first. */
export function coveragesByPatientLoader(db: Database, tenant: TenantContext) {
  return new DataLoader<string, CoverageRow[]>(async (patientIds) => {
    const rows = await db.withTenant(tenant, (tx) => fetchCoveragesByPatients(tx, patientIds));
    const grouped = new Map<string, CoverageRow[]>();
    for (const row of rows) grouped.set(row.patient_id, [...(grouped.get(row.patient_id) ?? []), row]);
    return patientIds.map((id) => grouped.get(id) ?? []);
  });
}

export interface AddCoverageInput {
  patientId: string;
  payerId: string;
  memberId: string;
  groupNumber?: string | null;
  planName: string;
  relationship: string;
  startDate: string;
  endDate?: string | null;
}

/**
 * The input, checked in itself (the payer's member id format is checked against the directory).
 * Member ids are upper-cased and their spaces dropped, as cards print them. Messages name the
 * argument, never the value: a member id is PHI.
 */
export function validateCoverage(input: AddCoverageInput) {
  const memberId = input.memberId.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z0-9-]{4,30}$/.test(memberId)) {
    throw new BadUserInputError('input.memberId must be 4–30 letters, digits or dashes', { argument: 'input.memberId' });
  }
  const groupNumber = input.groupNumber == null || input.groupNumber.trim() === '' ? null : input.groupNumber.trim();
  if (groupNumber !== null && !/^[A-Za-z0-9-]{1,30}$/.test(groupNumber)) {
    throw new BadUserInputError('input.groupNumber must be 1–30 letters, digits or dashes', { argument: 'input.groupNumber' });
  }
  const relationship = input.relationship.toLowerCase() as SubscriberRelationship;
  if (!RELATIONSHIPS.includes(relationship)) throw new BadUserInputError('input.relationship is not a subscriber relationship', { argument: 'input.relationship' });
  const startDate = requireDate(input.startDate, 'input.startDate');
  const endDate = input.endDate == null ? null : requireDate(input.endDate, 'input.endDate');
  if (endDate !== null && endDate < startDate) throw new BadUserInputError('input.endDate must not be before input.startDate', { argument: 'input.endDate' });
  return {
    patientId: requireUuid(input.patientId, 'input.patientId'),
    payerId: input.payerId.trim().toLowerCase(),
    memberId,
    groupNumber,
    planName: requireText(input.planName, 'input.planName', 1, 100),
    relationship,
    startDate,
    endDate,
  };
}

/** Adds a coverage in one transaction: patient and payer checked, then written; nothing written on any refusal. */
export async function addCoverage(db: Database, tenant: TenantContext & { tenantId: string }, raw: AddCoverageInput): Promise<CoverageRow> {
  const input = validateCoverage(raw);
  return db.withTenant(tenant, async (tx) => {
    const [payer] = await tx.query<PayerRow>('SELECT id, name, member_id_pattern FROM payers WHERE id = $1 AND active', [input.payerId]);
    if (!payer) throw new UnknownPayerError('input.payerId names no payer of the directory (see the payers query)', { argument: 'input.payerId' });
    if (!new RegExp(payer.member_id_pattern).test(input.memberId)) {
      throw new BadUserInputError("input.memberId does not have the payer's member id format", { argument: 'input.memberId' });
    }
    const [patient] = await tx.query('SELECT id FROM patients WHERE id = $1', [input.patientId]);
    if (!patient) throw new BadUserInputError('input.patientId names no patient of the tenant', { argument: 'input.patientId' });
    const id = randomUUID();
    try {
      await tx.query(
        `INSERT INTO insurance_coverages (id, tenant_id, patient_id, payer_id, member_id, group_number, plan_name, relationship, start_date, end_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [id, tenant.tenantId, input.patientId, payer.id, input.memberId, input.groupNumber, input.planName, input.relationship, input.startDate, input.endDate],
      );
    } catch (error) {
      if (uniqueViolation(error) === 'insurance_coverages_active_idx') {
        throw new BadUserInputError('The patient already has this coverage: end it before adding it again', { argument: 'input.memberId' });
      }
      throw error;
    }
    const [row] = await tx.query<CoverageRow>(`${COVERAGE_SELECT} WHERE c.id = $1`, [id]);
    return row!;
  });
}

/** Ends an ACTIVE coverage on `endDate` (not before its start); ending it twice is INVALID_TRANSITION. */
export async function endCoverage(db: Database, tenant: TenantContext, args: { id: string; endDate: string }): Promise<CoverageRow> {
  const id = requireUuid(args.id, 'id');
  const endDate = requireDate(args.endDate, 'endDate');
  return db.withTenant(tenant, async (tx) => {
    const [current] = await tx.query<CoverageRow>(`${COVERAGE_SELECT} WHERE c.id = $1 FOR NO KEY UPDATE OF c`, [id]);
    if (!current) throw new NotFoundError('No such coverage');
    if (current.status !== 'active') throw new InvalidTransitionError('The coverage has ended already', { from: 'ENDED', to: 'ENDED' });
    if (endDate < current.start_date) throw new BadUserInputError('endDate must not be before the coverage starts', { argument: 'endDate' });
    await tx.query(`UPDATE insurance_coverages SET status = 'ended', end_date = $2, updated_at = now() WHERE id = $1`, [id, endDate]);
    const [row] = await tx.query<CoverageRow>(`${COVERAGE_SELECT} WHERE c.id = $1`, [id]);
    return row!;
  });
}

export const coverageResolvers = {
  Query: {
    // The directory is the same for every tenant and holds no tenant data: readable at any level.
    payers: async (_: unknown, _args: unknown, ctx: ClinicalContext) => ctx.db.withTenant(ctx.tenant, (tx) => tx.query<PayerRow>('SELECT id, name, member_id_pattern FROM payers WHERE active ORDER BY id')),
  },
  Mutation: {
    addCoverage: (_: unknown, args: { input: AddCoverageInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return addCoverage(ctx.db, ctx.tenant, args.input);
    },
    endCoverage: (_: unknown, args: { id: string; endDate: string }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      return endCoverage(ctx.db, ctx.tenant, args);
    },
  },
  Coverage: {
    payer: (row: CoverageRow) => ({ id: row.payer_id, name: row.payer_name }),
    memberId: (row: CoverageRow) => row.member_id,
    groupNumber: (row: CoverageRow) => row.group_number,
    planName: (row: CoverageRow) => row.plan_name,
    relationship: (row: CoverageRow) => row.relationship.toUpperCase(),
    startDate: (row: CoverageRow) => row.start_date,
    endDate: (row: CoverageRow) => row.end_date,
    status: (row: CoverageRow) => row.status.toUpperCase(),
  },
};
