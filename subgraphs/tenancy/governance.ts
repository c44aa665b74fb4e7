/**
 * Four-eyes governance of a tenant's protected settings (migration 008). Which settings are
 * protected, and which wait for a release window, is policy data (`governed_settings`,
 * `release_windows`); what a value may be is checked here, before anything is written.
 *
 *   requestChange ─► PENDING ─approveChange (another platform admin)─► APPROVED ─► APPLIED
 *                        │                                               │  (tenancy's worker)
 *                        ├─rejectChange─► REJECTED                       └─► WAITING (outside the
 *                        └─past expiresAt─► EXPIRED                         release window) ─► APPLIED
 *
 * The requester cannot decide their own request (SELF_APPROVAL_FORBIDDEN). Every request and
 * decision and every application is in the tenant's audit chain; the approval's event
 * (`tenancy.change-request.approved`) makes the worker apply it, so an approval is never lost
 * between the decision and the change.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InvalidTransitionError, NotFoundError, SelfApprovalForbiddenError } from '../../lib/errors.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appendAudit } from './audit.js';
import { actingOn, atPlatform, requirePlatformAdmin, type TenancyContext } from './context.js';
import { escalationSetting, publishEscalationPolicies } from './escalation.js';
import { integrationMappingSetting } from './integration-mapping-events.js';
import { purchaseOrderSetting } from './procurement-events.js';

export interface ChangeRequestRow {
  id: string;
  tenant_id: string;
  setting: string;
  value: unknown;
  previous: unknown;
  justification: string;
  status: string;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  apply_after: Date | null;
  applied_at: Date | null;
  error: string | null;
}

/** How each governed setting's value is checked and written. */
export interface SettingRule {
  /** The value, checked and normalised; BAD_USER_INPUT when it is not one. */
  parse(value: unknown): unknown;
  /** The current value, for the record of what the change replaced. */
  read(tx: Tx, tenantId: string): Promise<unknown>;
  write(tx: Tx, tenantId: string, value: unknown, approvedBy: string): Promise<void>;
  /** Checks a parsed value against the database (a partner that exists), at the request. */
  check?(tx: Tx, value: unknown): Promise<void>;
}

const oneOf = (setting: string, allowed: readonly string[]) => (value: unknown) => {
  if (typeof value !== 'string' || !allowed.includes(value.toLowerCase())) {
    throw new BadUserInputError(`${setting} must be one of ${allowed.join(', ')}`, { argument: 'input.value' });
  }
  return value.toLowerCase();
};

const column = (name: 'tier' | 'cohort' | 'retention_days' | 'placement') => ({
  async read(tx: Tx, tenantId: string) {
    const [row] = await tx.query<Record<string, unknown>>(`SELECT ${name} AS value FROM tenants WHERE id = $1`, [tenantId]);
    return row?.value ?? null;
  },
  async write(tx: Tx, tenantId: string, value: unknown) {
    await tx.query(`UPDATE tenants SET ${name} = $2 WHERE id = $1`, [tenantId, value]);
  },
});

const FEATURE = /^[a-z][a-z0-9_]{1,62}$/;

export const SETTING_RULES: Readonly<Record<string, SettingRule>> = Object.freeze({
  tier: { parse: oneOf('tier', ['standard', 'enhanced', 'critical']), ...column('tier') },
  cohort: { parse: oneOf('cohort', ['canary', 'early', 'general']), ...column('cohort') },
  // Applied here; clinical-ops then moves the tenant's rows (its `placement-change` job).
  placement: { parse: oneOf('placement', ['pooled', 'isolated']), ...column('placement') },
  retention_days: {
    parse(value: unknown) {
      if (!Number.isInteger(value) || (value as number) < 30 || (value as number) > 3650) {
        throw new BadUserInputError('retention_days must be a whole number of days, 30–3650', { argument: 'input.value' });
      }
      return value;
    },
    ...column('retention_days'),
  },
  partner: {
    parse(value: unknown) {
      if (value === null) return null;
      if (typeof value !== 'string' || !isUuid(value)) throw new BadUserInputError('partner must be a partner id, or null to attribute the tenant to none', { argument: 'input.value' });
      return value.toLowerCase();
    },
    async read(tx: Tx, tenantId: string) {
      const [row] = await tx.query<{ partner_id: string | null }>('SELECT partner_id FROM tenants WHERE id = $1', [tenantId]);
      return row?.partner_id ?? null;
    },
    async write(tx: Tx, tenantId: string, value: unknown) {
      await tx.query('UPDATE tenants SET partner_id = $2 WHERE id = $1', [tenantId, value]);
    },
    async check(tx: Tx, value: unknown) {
      if (value === null) return;
      const [partner] = await tx.query('SELECT id FROM partners WHERE id = $1', [value]);
      if (!partner) throw new BadUserInputError('No such partner', { argument: 'input.value' });
    },
  },
  escalation: escalationSetting,
  purchase_order: purchaseOrderSetting,
  integration_mapping: integrationMappingSetting,
  feature_override: {
    parse(value: unknown) {
      const { feature, state } = (value ?? {}) as { feature?: unknown; state?: unknown };
      if (typeof feature !== 'string' || !FEATURE.test(feature) || !['granted', 'withdrawn', 'none'].includes(state as string)) {
        throw new BadUserInputError('feature_override must be {"feature": "<feature>", "state": "granted" | "withdrawn" | "none"}', { argument: 'input.value' });
      }
      return { feature, state };
    },
    async read(tx: Tx, tenantId: string) {
      const rows = await tx.query<{ feature: string; enabled: boolean }>('SELECT feature, enabled FROM tenant_feature_overrides WHERE tenant_id = $1 ORDER BY feature', [tenantId]);
      return Object.fromEntries(rows.map((row) => [row.feature, row.enabled ? 'granted' : 'withdrawn']));
    },
    async write(tx: Tx, tenantId: string, value: unknown, approvedBy: string) {
      const { feature, state } = value as { feature: string; state: string };
      if (state === 'none') {
        await tx.query('DELETE FROM tenant_feature_overrides WHERE tenant_id = $1 AND feature = $2', [tenantId, feature]);
        return;
      }
      await tx.query(
        `INSERT INTO tenant_feature_overrides (tenant_id, feature, enabled, reason, approved_by) VALUES ($1, $2, $3, 'change request', $4)
         ON CONFLICT (tenant_id, feature) DO UPDATE SET enabled = excluded.enabled, reason = excluded.reason, approved_by = excluded.approved_by, created_at = now()`,
        [tenantId, feature, state === 'granted', approvedBy],
      );
    },
  },
});

const COLUMNS = `id, tenant_id, setting, value, previous, justification, status, requested_by, requested_at, expires_at,
  decided_by, decided_at, decision_note, apply_after, applied_at, error`;

// Governance is the platform's business: its transactions run at platform level (atPlatform);
// an event about one tenant is published in a context bound to it (actingOn).
const assertPlatformAdmin = (tenant: TenantContext) => requirePlatformAdmin(tenant, 'request and decide changes to protected settings');

function text(value: string | null | undefined, argument: string, required: boolean): string | null {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) {
    if (required) throw new BadUserInputError(`${argument} is required (1–500 characters)`, { argument });
    return null;
  }
  if (trimmed.length > 500) throw new BadUserInputError(`${argument} must be at most 500 characters`, { argument });
  return trimmed;
}

interface RequestInput {
  tenantId: string;
  setting: string;
  /** The new value, as JSON text: `"critical"`, `730`, `{"feature": "advanced_analytics", "state": "granted"}`. */
  value: string;
  justification: string;
  expiresInHours?: number | null;
}

async function requestChange(ctx: TenancyContext, input: RequestInput): Promise<ChangeRequestRow> {
  assertPlatformAdmin(ctx.tenant);
  const tenantId = requireUuid(input.tenantId, 'input.tenantId');
  const rule = SETTING_RULES[input.setting];
  if (!rule) throw new BadUserInputError(`input.setting must be one of ${Object.keys(SETTING_RULES).join(', ')}`, { argument: 'input.setting' });
  let raw: unknown;
  try {
    raw = JSON.parse(input.value);
  } catch {
    throw new BadUserInputError('input.value must be JSON (a string in quotes, a number, or an object)', { argument: 'input.value' });
  }
  const value = rule.parse(raw);
  const justification = text(input.justification, 'input.justification', true)!;
  const hours = input.expiresInHours ?? 72;
  if (!Number.isInteger(hours) || hours < 1 || hours > 720) throw new BadUserInputError('input.expiresInHours must be 1–720', { argument: 'input.expiresInHours' });
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(atPlatform(ctx.tenant), async (tx) => {
    const [tenant] = await tx.query<{ partner_id: string | null; status: string }>('SELECT partner_id, status FROM tenants WHERE id = $1', [tenantId]);
    if (!tenant) throw new NotFoundError('No such tenant');
    const [governed] = await tx.query<{ protected: boolean }>('SELECT protected FROM governed_settings WHERE setting = $1', [input.setting]);
    if (!governed?.protected) throw new BadUserInputError(`${input.setting} is not a protected setting`, { argument: 'input.setting' });
    await rule.check?.(tx, value);
    const [row] = await tx.query<ChangeRequestRow>(
      `INSERT INTO change_requests (id, tenant_id, setting, value, justification, status, requested_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, now() + make_interval(hours => $7)) RETURNING ${COLUMNS}`,
      [randomUUID(), tenantId, input.setting, JSON.stringify(value), justification, ctx.tenant.principal.id, hours],
    );
    await appendAudit(tx, ctx.db.deriveKey('audit'), acting, {
      owner: { tenantId, partnerId: tenant.partner_id },
      action: 'change.requested',
      target: `change_request:${row!.id}`,
      detail: { setting: input.setting, value, expiresAt: row!.expires_at.toISOString() },
    });
    return row!;
  });
}

async function decide(ctx: TenancyContext, id: string, approve: boolean, note: string | null): Promise<ChangeRequestRow> {
  assertPlatformAdmin(ctx.tenant);
  return ctx.db.withTenant(atPlatform(ctx.tenant), async (tx) => {
    const [request] = await tx.query<ChangeRequestRow & { expired: boolean }>(
      `SELECT ${COLUMNS}, expires_at <= now() AS expired FROM change_requests WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!request) throw new NotFoundError('No such change request');
    const acting = actingOn(ctx.tenant, request.tenant_id);
    if (request.status === 'pending' && request.expired) {
      throw new InvalidTransitionError(`The change request expired at ${request.expires_at.toISOString()}: request the change again`, {
        from: 'EXPIRED',
        to: approve ? 'APPROVED' : 'REJECTED',
      });
    }
    if (request.status !== 'pending') {
      throw new InvalidTransitionError(`The change request is ${request.status}: only a pending request is approved or rejected`, {
        from: request.status.toUpperCase(),
        to: approve ? 'APPROVED' : 'REJECTED',
      });
    }
    if (request.requested_by === ctx.tenant.principal.id) {
      throw new SelfApprovalForbiddenError('A change request is decided by another platform admin than the one who requested it');
    }
    const status = approve ? 'approved' : 'rejected';
    const [row] = await tx.query<ChangeRequestRow>(
      `UPDATE change_requests SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, status, ctx.tenant.principal.id, note],
    );
    const [tenant] = await tx.query<{ partner_id: string | null; tier: string }>('SELECT partner_id, tier FROM tenants WHERE id = $1', [request.tenant_id]);
    await appendAudit(tx, ctx.db.deriveKey('audit'), acting, {
      owner: { tenantId: request.tenant_id, partnerId: tenant?.partner_id ?? null },
      action: approve ? 'change.approved' : 'change.rejected',
      target: `change_request:${id}`,
      detail: { setting: request.setting, requestedBy: request.requested_by },
    });
    // Both decisions are events: an approval is applied by tenancy's worker; a rejection is
    // news to a domain waiting on the request (erp's purchase orders).
    await publishEvent(tx, approve ? 'tenancy.change-request.approved' : 'tenancy.change-request.rejected', { ...acting, tier: tenant?.tier }, {
      changeRequestId: id,
      setting: request.setting,
    });
    return row!;
  });
}

/** A tier's weekly release window, UTC (`release_windows`). */
export interface ReleaseWindow {
  days: readonly number[];
  startHour: number;
  endHour: number;
}

/** When a change may apply under `window` from `now` on: `now` inside the window, else the next opening. */
export function nextWindowOpening(window: ReleaseWindow | null, now: Date): Date {
  if (!window) return now;
  for (let offset = 0; offset <= 7; offset += 1) {
    const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset);
    if (!window.days.includes(new Date(day).getUTCDay())) continue;
    const opens = new Date(day + window.startHour * 3_600_000);
    const closes = new Date(day + window.endHour * 3_600_000);
    if (now >= opens && now < closes) return now;
    if (opens > now) return opens;
  }
  throw new Error('a release window without days never opens');
}

export async function releaseWindowOf(tx: Tx, tier: string): Promise<ReleaseWindow | null> {
  const [row] = await tx.query<{ days: number[]; start_hour: number; end_hour: number }>('SELECT days, start_hour, end_hour FROM release_windows WHERE tier = $1', [tier]);
  return row ? { days: row.days, startHour: row.start_hour, endHour: row.end_hour } : null;
}

/**
 * Applies an approved change (tenancy's worker, at platform level): the value written, the one
 * it replaced recorded, the request APPLIED, an audit entry; or, for a release-gated setting
 * outside the tier's window, WAITING until `applyAfter`. Safe to run twice: a request that is
 * not approved or waiting is left alone.
 */
export async function applyChange(
  tx: Tx,
  key: Buffer,
  context: TenantContext,
  id: string,
  now = new Date(),
): Promise<{ outcome: 'applied' | 'waiting' | 'failed' | 'skipped'; applyAfter?: Date }> {
  const [request] = await tx.query<ChangeRequestRow>(`SELECT ${COLUMNS} FROM change_requests WHERE id = $1 FOR UPDATE`, [id]);
  if (!request || (request.status !== 'approved' && request.status !== 'waiting')) return { outcome: 'skipped' };
  const [tenant] = await tx.query<{ tier: string; partner_id: string | null }>('SELECT tier, partner_id FROM tenants WHERE id = $1 FOR UPDATE', [request.tenant_id]);
  const [governed] = await tx.query<{ release_gated: boolean }>('SELECT release_gated FROM governed_settings WHERE setting = $1', [request.setting]);
  if (governed?.release_gated) {
    const opensAt = nextWindowOpening(await releaseWindowOf(tx, tenant!.tier), now);
    if (opensAt > now) {
      await tx.query("UPDATE change_requests SET status = 'waiting', apply_after = $2 WHERE id = $1", [id, opensAt]);
      return { outcome: 'waiting', applyAfter: opensAt };
    }
  }
  const rule = SETTING_RULES[request.setting]!;
  const previous = await rule.read(tx, request.tenant_id);
  await tx.query('SAVEPOINT apply_change');
  try {
    await rule.write(tx, request.tenant_id, request.value, request.decided_by ?? request.requested_by);
  } catch (error) {
    // A value the database refuses now (class 23: the partner removed since the request) can
    // never be applied: the request FAILED, visibly, rather than retried for ever. Anything
    // else (the database away) is retried.
    const code = (error as { code?: string }).code;
    if (!code?.startsWith('23')) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT apply_change');
    await tx.query("UPDATE change_requests SET status = 'failed', error = $2 WHERE id = $1", [id, `the database refused the value (${code})`]);
    return { outcome: 'failed' };
  }
  await tx.query("UPDATE change_requests SET status = 'applied', previous = $2, applied_at = now(), error = NULL WHERE id = $1", [id, JSON.stringify(previous)]);
  await appendAudit(tx, key, context, {
    owner: { tenantId: request.tenant_id, partnerId: tenant!.partner_id },
    action: 'change.applied',
    target: `change_request:${id}`,
    detail: { setting: request.setting, value: request.value as Record<string, unknown>, previous: previous as Record<string, unknown> },
  });
  // A new tier or a tenant's own rule changes its escalation policy: observability's copy follows.
  await publishEscalationPolicies(tx, context, [request.tenant_id]);
  return { outcome: 'applied' };
}

/** A pending request past its expiry reads as EXPIRED, whether or not anyone has tried to decide it since. */
const statusOf = (row: ChangeRequestRow) => (row.status === 'pending' && row.expires_at <= new Date() ? 'EXPIRED' : row.status.toUpperCase());

const toChangeRequest = (row: ChangeRequestRow) => ({
  id: row.id,
  tenantId: row.tenant_id,
  setting: row.setting,
  value: JSON.stringify(row.value),
  previousValue: row.status === 'applied' ? JSON.stringify(row.previous) : null,
  error: row.error,
  justification: row.justification,
  status: statusOf(row),
  requestedBy: row.requested_by,
  requestedAt: row.requested_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  decidedBy: row.decided_by,
  decidedAt: row.decided_at?.toISOString() ?? null,
  decisionNote: row.decision_note,
  applyAfter: row.apply_after?.toISOString() ?? null,
  appliedAt: row.applied_at?.toISOString() ?? null,
});

export const governanceResolvers = {
  Query: {
    async changeRequests(_: unknown, args: { tenantId?: string | null; first?: number | null }, ctx: TenancyContext) {
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be 1–200', { argument: 'first' });
      const tenantId = args.tenantId == null ? null : requireUuid(args.tenantId, 'tenantId');
      assertPlatformAdmin(ctx.tenant);
      const rows = await ctx.db.withTenant(atPlatform(ctx.tenant), (tx) =>
        tx.query<ChangeRequestRow>(
          `SELECT ${COLUMNS} FROM change_requests WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY requested_at DESC, id DESC LIMIT ${first}`,
          [tenantId],
        ),
      );
      return rows.map(toChangeRequest);
    },
  },
  Mutation: {
    async requestChange(_: unknown, args: { input: RequestInput }, ctx: TenancyContext) {
      return toChangeRequest(await requestChange(ctx, args.input));
    },
    /** requestChange for `placement`, refused when the tenant is placed so already. */
    async changePlacement(
      _: unknown,
      args: { tenantId: string; placement: 'POOLED' | 'ISOLATED'; justification: string; expiresInHours?: number | null },
      ctx: TenancyContext,
    ) {
      assertPlatformAdmin(ctx.tenant);
      const tenantId = requireUuid(args.tenantId, 'tenantId');
      const placement = args.placement.toLowerCase();
      const [tenant] = await ctx.db.withTenant(atPlatform(ctx.tenant), (tx) => tx.query<{ placement: string }>('SELECT placement FROM tenants WHERE id = $1', [tenantId]));
      if (!tenant) throw new NotFoundError('No such tenant');
      if (tenant.placement === placement) throw new BadUserInputError(`The tenant is ${placement} already`, { argument: 'placement' });
      const input = { tenantId, setting: 'placement', value: JSON.stringify(placement), justification: args.justification, expiresInHours: args.expiresInHours };
      return toChangeRequest(await requestChange(ctx, input));
    },
    async approveChange(_: unknown, args: { id: string; note?: string | null }, ctx: TenancyContext) {
      return toChangeRequest(await decide(ctx, requireUuid(args.id, 'id'), true, text(args.note, 'note', false)));
    },
    async rejectChange(_: unknown, args: { id: string; note?: string | null }, ctx: TenancyContext) {
      return toChangeRequest(await decide(ctx, requireUuid(args.id, 'id'), false, text(args.note, 'note', false)));
    },
  },
};
