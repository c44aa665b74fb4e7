/**
 * Break-glass: an emergency declared as a grant, never a header. A clinician, tenant admin or
 * support engineer acting in one tenant declares the emergency for named patients; for a
 * bounded time the gateway lets that principal read those patients' PHI when the request
 * carries `x-break-glass-grant: <id>`. Each declaration is a security event platform admins
 * list (`breakGlassEvents`) and review (`reviewBreakGlassEvent`); each read under it is in the
 * PHI audit with the grant's id.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, NotFoundError, RateLimitedError, TenantForbiddenError } from '../../lib/errors.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import { createLogger } from '../../lib/logger.js';
import type { BreakGlassGrantLookup } from '../../lib/policy/break-glass.js';
import { BREAK_GLASS_ROLES, type Role } from '../../lib/policy/spec.js';
import type { InternalRoute } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { ClinicalContext } from './context.js';

const logger = createLogger('clinical-ops');

/** Declarations one principal may make in 24 hours, across all tenants. */
export const MAX_DECLARATIONS_PER_DAY = 5;
export const MAX_GRANT_PATIENTS = 20;
const DURATION_MINUTES = { min: 5, max: 240, default: 30 };
const REASON_LENGTH = { min: 10, max: 500 };
const MAX_EVENTS_PAGE = 200;

interface GrantRow {
  id: string;
  tenant_id: string;
  principal_id: string;
  roles: string[];
  reason: string;
  patient_ids: string[];
  declared_at: Date;
  expires_at: Date;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  review_note: string | null;
  phi_read_count?: number;
}

const GRANT_COLUMNS = 'id, tenant_id, principal_id, roles, reason, patient_ids, declared_at, expires_at, reviewed_at, reviewed_by, review_note';

interface DeclareInput {
  reason: string;
  patientIds: string[];
  durationMinutes?: number | null;
}

function validateDeclaration(input: DeclareInput) {
  const reason = input.reason.trim();
  if (reason.length < REASON_LENGTH.min || reason.length > REASON_LENGTH.max) {
    throw new BadUserInputError(`input.reason must state the emergency in ${REASON_LENGTH.min}–${REASON_LENGTH.max} characters`, {
      argument: 'input.reason',
    });
  }
  const patientIds = [...new Set(input.patientIds.map((id, i) => requireUuid(id, `input.patientIds[${i}]`)))];
  if (patientIds.length < 1 || patientIds.length > MAX_GRANT_PATIENTS) {
    throw new BadUserInputError(`input.patientIds must name 1–${MAX_GRANT_PATIENTS} patients`, { argument: 'input.patientIds' });
  }
  const durationMinutes = input.durationMinutes ?? DURATION_MINUTES.default;
  if (!Number.isInteger(durationMinutes) || durationMinutes < DURATION_MINUTES.min || durationMinutes > DURATION_MINUTES.max) {
    throw new BadUserInputError(`input.durationMinutes must be between ${DURATION_MINUTES.min} and ${DURATION_MINUTES.max}`, {
      argument: 'input.durationMinutes',
    });
  }
  return { reason, patientIds, durationMinutes };
}

/** Who may declare: a break-glass role, acting inside one tenant (never at platform or partner level). */
function assertMayDeclare(tenant: TenantContext): void {
  if (tenant.access !== 'tenant') {
    throw new TenantForbiddenError('Break-glass is declared inside one tenant: send x-tenant-id');
  }
  if (!tenant.roles.some((role) => BREAK_GLASS_ROLES.includes(role as Role))) {
    throw new InsufficientScopeError(`Only ${BREAK_GLASS_ROLES.join(', ')} may declare break-glass`);
  }
}

function assertPlatformAdmin(tenant: TenantContext): void {
  if (tenant.access !== 'platform' || !tenant.roles.includes('platform_admin')) {
    throw new InsufficientScopeError('Break-glass events are reviewed by platform admins at platform level');
  }
}

const toGrant = (row: GrantRow) => ({
  id: row.id,
  reason: row.reason,
  patientIds: row.patient_ids,
  declaredAt: row.declared_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
});

const toEvent = (row: GrantRow) => ({
  id: row.id,
  tenant: { id: row.tenant_id },
  principalId: row.principal_id,
  roles: row.roles,
  reason: row.reason,
  patientCount: row.patient_ids.length,
  phiReadCount: row.phi_read_count ?? 0,
  declaredAt: row.declared_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  reviewedAt: row.reviewed_at?.toISOString() ?? null,
  reviewedBy: row.reviewed_by,
  reviewNote: row.review_note,
});

const EVENT_SELECT = `SELECT ${GRANT_COLUMNS.split(', ').map((c) => `g.${c}`).join(', ')},
         (SELECT count(*)::int FROM phi_access_log l WHERE l.grant_id = g.id) AS phi_read_count
    FROM break_glass_grants g`;

/** Writes a declaration after checking the patients and the per-principal limit, in one transaction. */
async function declare(tx: Tx, tenant: TenantContext, input: ReturnType<typeof validateDeclaration>): Promise<GrantRow> {
  // Serialises one principal's declarations, so two at once cannot both slip under the limit.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`break-glass:${tenant.principal.id}`]);
  const [{ n }] = (await tx.query<{ n: number }>(
    "SELECT break_glass_declarations_since($1, now() - interval '24 hours') AS n",
    [tenant.principal.id],
  )) as [{ n: number }];
  if (n >= MAX_DECLARATIONS_PER_DAY) {
    throw new RateLimitedError(`At most ${MAX_DECLARATIONS_PER_DAY} break-glass declarations per 24 hours`, { limit: MAX_DECLARATIONS_PER_DAY });
  }
  // Row-level security limits this to the current tenant: another tenant's patient is "unknown".
  const found = await tx.query<{ id: string }>('SELECT id FROM patients WHERE id = ANY($1::uuid[])', [input.patientIds]);
  if (found.length !== input.patientIds.length) {
    throw new BadUserInputError('input.patientIds names a patient the tenant does not have', { argument: 'input.patientIds' });
  }
  const [row] = await tx.query<GrantRow>(
    `INSERT INTO break_glass_grants (id, tenant_id, principal_id, principal_kind, roles, reason, patient_ids, expires_at, request_id, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(mins => $8), $9, $10)
     RETURNING ${GRANT_COLUMNS}`,
    [
      randomUUID(),
      tenant.tenantId,
      tenant.principal.id,
      tenant.principal.kind,
      tenant.roles,
      input.reason,
      input.patientIds,
      input.durationMinutes,
      tenant.requestId,
      tenant.correlationId ?? null,
    ],
  );
  // Tenancy's security log learns of it from this event, committed with the grant or not at all:
  // identifiers and counts only, never the reason or which patients.
  await publishEvent(tx, 'clinical-ops.break-glass.declared', tenant, {
    grantId: row!.id,
    roles: row!.roles,
    patientCount: row!.patient_ids.length,
    expiresAt: row!.expires_at.toISOString(),
  });
  return row!;
}

export const breakGlassResolvers = {
  Query: {
    async breakGlassEvents(_: unknown, args: { first?: number | null; unreviewedOnly?: boolean | null }, ctx: ClinicalContext) {
      assertPlatformAdmin(ctx.tenant);
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > MAX_EVENTS_PAGE) {
        throw new BadUserInputError(`first must be between 1 and ${MAX_EVENTS_PAGE}`, { argument: 'first' });
      }
      // Isolated tenants' declarations are in their own databases: the newest `first` of each, merged.
      const rows = await ctx.db.acrossPlacements(ctx.tenant, (tx) =>
        tx.query<GrantRow>(
          `${EVENT_SELECT} WHERE ($1::boolean IS NOT TRUE OR g.reviewed_at IS NULL) ORDER BY g.declared_at DESC, g.id LIMIT $2`,
          [args.unreviewedOnly ?? false, first],
        ),
      );
      rows.sort((a, b) => b.declared_at.getTime() - a.declared_at.getTime() || (a.id < b.id ? -1 : 1));
      return rows.slice(0, first).map(toEvent);
    },
  },
  Mutation: {
    async declareBreakGlass(_: unknown, args: { input: DeclareInput }, ctx: ClinicalContext) {
      assertMayDeclare(ctx.tenant);
      const input = validateDeclaration(args.input);
      const row = await ctx.db.withTenant(ctx.tenant, (tx) => declare(tx, ctx.tenant, input));
      // A security event for the operators' log pipeline: identifiers and counts only.
      logger.warn(
        { securityEvent: 'break_glass_declared', grantId: row.id, principalId: ctx.tenant.principal.id, roles: ctx.tenant.roles, patients: row.patient_ids.length },
        'break-glass declared',
      );
      return toGrant(row);
    },
    async reviewBreakGlassEvent(_: unknown, args: { id: string; note: string }, ctx: ClinicalContext) {
      assertPlatformAdmin(ctx.tenant);
      const id = requireUuid(args.id, 'id');
      const note = args.note.trim();
      if (note.length < 1 || note.length > 1000) throw new BadUserInputError('note must be 1–1000 characters', { argument: 'note' });
      // The event is in one database, the shared one or an isolated tenant's: each is asked.
      const reviewed = await ctx.db.acrossPlacements(ctx.tenant, async (tx) => {
        const [updated] = await tx.query<{ id: string }>(
          `UPDATE break_glass_grants SET reviewed_at = now(), reviewed_by = $2, review_note = $3
            WHERE id = $1 AND reviewed_at IS NULL RETURNING id`,
          [id, ctx.tenant.principal.id, note],
        );
        const [event] = await tx.query<GrantRow>(`${EVENT_SELECT} WHERE g.id = $1`, [id]);
        return event ? [{ event, updated: Boolean(updated) }] : [];
      });
      const [found] = reviewed;
      if (!found) throw new NotFoundError('No such break-glass event');
      if (!found.updated) throw new BadUserInputError('The event has been reviewed already', { argument: 'id' });
      return toEvent(found.event);
    },
  },
};

/** `GET /internal/break-glass-grant?id=…&tenantId=…&principalId=…` → BreakGlassGrantLookup. */
export const breakGlassGrantRoute: InternalRoute = async (params, db, caller): Promise<BreakGlassGrantLookup> => {
  const id = params.get('id');
  const tenantId = params.get('tenantId');
  const principalId = params.get('principalId');
  if (!isUuid(id) || !isUuid(tenantId) || !principalId) throw new BadUserInputError('id, tenantId and principalId are required');
  // Looked up where the tenant's data lives.
  const [row] = await db.perPlacement(caller, [tenantId.toLowerCase()], (tx, tenantIds) =>
    tx.query<GrantRow>(
      `SELECT ${GRANT_COLUMNS} FROM break_glass_grants
        WHERE id = $1 AND tenant_id = $2 AND principal_id = $3 AND expires_at > now()`,
      [id.toLowerCase(), tenantIds[0], principalId],
    ),
  );
  if (!row) return { grant: null };
  return { grant: { id: row.id, reason: row.reason, patientIds: row.patient_ids, expiresAt: Math.floor(row.expires_at.getTime() / 1000) } };
};
