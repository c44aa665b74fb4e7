/**
 * `provisionTenant`: one mutation that starts a tenant's provisioning (migration 012), and
 * `retryProvisioning`, which resumes one stopped at a failed step. Both only record what is to be
 * done and publish `tenancy.provisioning.requested`; tenancy's worker works the steps
 * (provisioning-workflow.ts, lib/workflows/provisioning.ts).
 *
 * Everything the request names is checked before anything is written — the template, the region,
 * the plan (and that it includes every workflow the template switches on), the partner — so a
 * bad request leaves no half tenant behind. The tenant row, its run, its steps, its audit entry
 * and the event are one transaction: a tenant exists exactly when its provisioning does.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { publishEvent } from '../../lib/events/outbox.js';
import { BadUserInputError, IdempotencyKeyReusedError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { PROVISIONING_STEPS } from '../../lib/workflows/provisioning.js';
import type { Tx } from '../../lib/db/index.js';
import { appendAudit } from './audit.js';
import { actingOn, atPlatform, requirePlatformAdmin, type TenancyContext } from './context.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}$/;
const INVITATION_PREFIX = 'cgi_';
const lower = (value: string | null | undefined) => value?.toLowerCase() ?? null;

interface ProvisionInput {
  idempotencyKey: string;
  slug: string;
  name: string;
  template: string;
  region: string;
  plan?: string | null;
  tier?: string | null;
  placement?: string | null;
  cohort?: string | null;
  partnerId?: string | null;
  adminEmail: string;
}

interface TemplateRow {
  segment: string;
  description: string;
  plan_code: string;
  tier: string;
  placement: string;
  workflows: string[];
  slo_class: string;
  retention_days: number;
}

/** The request as kept with the run, with the template's defaults filled in: what the steps are given. */
export interface ProvisioningRequest {
  slug: string;
  name: string;
  segment: string;
  region: string;
  plan: string;
  tier: 'standard' | 'enhanced' | 'critical';
  placement: 'pooled' | 'isolated';
  cohort: string;
  partnerId: string | null;
  adminEmail: string;
  workflows: Array<'eligibility_checks' | 'claims' | 'reminders'>;
  sloClass: 'standard' | 'enhanced' | 'critical';
  retentionDays: number;
}

export interface RunRow {
  tenant_id: string;
  idempotency_key: string;
  request_hash: string;
  request: ProvisioningRequest;
  invitation_hash: string;
  status: 'running' | 'failed' | 'completed';
  error: string | null;
  requested_by: string;
  requested_at: Date;
  finished_at: Date | null;
}

export interface StepRow {
  tenant_id: string;
  step: string;
  position: number;
  status: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
}

export const RUN_COLUMNS = 'tenant_id, idempotency_key, request_hash, request, invitation_hash, status, error, requested_by, requested_at, finished_at';
export const STEP_COLUMNS = 'tenant_id, step, position, status, attempts, started_at, finished_at, error';
export const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

function bad(message: string, argument: string): never {
  throw new BadUserInputError(message, { argument: `input.${argument}` });
}

/** Checks the request's own shape; what it names (template, region, plan, partner) is checked against the data after. */
function shapeOf(input: ProvisionInput) {
  if (!IDEMPOTENCY_KEY.test(input.idempotencyKey)) bad('idempotencyKey must be 8–100 characters of A–Z a–z 0–9 . _ : -', 'idempotencyKey');
  if (!SLUG.test(input.slug)) bad('slug must be 2–63 lower case letters, digits and hyphens, starting with a letter or digit', 'slug');
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200) bad('name must be 1–200 characters', 'name');
  const adminEmail = input.adminEmail.trim().toLowerCase();
  if (!EMAIL.test(adminEmail)) bad('adminEmail must be an e-mail address', 'adminEmail');
  if (input.partnerId != null && !isUuid(input.partnerId)) bad('partnerId must be a UUID', 'partnerId');
  if (input.plan != null && !/^[a-z][a-z0-9_]{0,40}$/.test(input.plan)) bad(`No plan ${input.plan}`, 'plan');
  return { name, adminEmail };
}

/** The full request, defaults filled from the template, once everything it names exists. */
async function resolveRequest(tx: Tx, input: ProvisionInput): Promise<ProvisioningRequest> {
  const { name, adminEmail } = shapeOf(input);
  const segment = input.template.toLowerCase();
  const [template] = await tx.query<TemplateRow>('SELECT * FROM segment_templates WHERE segment = $1', [segment]);
  if (!template) bad(`No segment template ${input.template}`, 'template');
  const [region] = await tx.query('SELECT code FROM regions WHERE code = $1', [input.region]);
  if (!region) {
    const known = await tx.query<{ code: string }>('SELECT code FROM regions ORDER BY code');
    bad(`No region ${input.region}: the platform serves ${known.map((row) => row.code).join(', ')}`, 'region');
  }
  const plan = input.plan ?? template.plan_code;
  // The plan catalogue is erp's public reference data (no tenant's rows): read where it is, so an
  // unknown plan is refused before the tenant exists rather than at erp's step.
  const [planRow] = await tx.query<{ features: string[] }>('SELECT features FROM erp.plans WHERE code = $1', [plan]);
  if (!planRow) bad(`No plan ${plan}`, 'plan');
  const missing = template.workflows.filter((workflow) => !planRow.features.includes(workflow));
  if (missing.length > 0) bad(`Plan ${plan} does not include ${missing.join(', ')}, which the ${segment} template switches on`, 'plan');
  const partnerId = lower(input.partnerId);
  if (partnerId) {
    const [partner] = await tx.query('SELECT id FROM partners WHERE id = $1', [partnerId]);
    if (!partner) bad('No such partner', 'partnerId');
  }
  return {
    slug: input.slug,
    name,
    segment,
    region: input.region,
    plan,
    tier: (lower(input.tier) ?? template.tier) as ProvisioningRequest['tier'],
    placement: (lower(input.placement) ?? template.placement) as ProvisioningRequest['placement'],
    cohort: lower(input.cohort) ?? 'general',
    partnerId,
    adminEmail,
    workflows: template.workflows as ProvisioningRequest['workflows'],
    sloClass: template.slo_class as ProvisioningRequest['sloClass'],
    retentionDays: template.retention_days,
  };
}

/** The canonical form of a request: its keys in a fixed order, so equal requests hash alike. */
const canonical = (request: ProvisioningRequest): string => JSON.stringify(request, Object.keys(request).sort());

async function runByKey(tx: Tx, key: string): Promise<RunRow | undefined> {
  const [run] = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM provisioning_runs WHERE idempotency_key = $1`, [key]);
  return run;
}

function replay(run: RunRow, requestHash: string) {
  if (run.request_hash !== requestHash) {
    throw new IdempotencyKeyReusedError('This idempotency key was used for a different provisioning request; nothing was written');
  }
  return { tenantId: run.tenant_id, invitationToken: null, replayed: true };
}

async function provision(ctx: TenancyContext, input: ProvisionInput) {
  requirePlatformAdmin(ctx.tenant, 'provision tenants');
  const platform = atPlatform(ctx.tenant);
  const { request, existing } = await ctx.db.withTenant(platform, async (tx) => {
    const resolved = await resolveRequest(tx, input);
    return { request: resolved, existing: await runByKey(tx, input.idempotencyKey) };
  });
  const requestHash = hashOf(canonical(request));
  if (existing) return replay(existing, requestHash);
  const tenantId = randomUUID();
  const invitationToken = `${INVITATION_PREFIX}${randomBytes(24).toString('base64url')}`;
  const acting = actingOn(ctx.tenant, tenantId);
  try {
    await ctx.db.withTenant(acting, (tx) => start(tx, ctx, acting, { tenantId, idempotencyKey: input.idempotencyKey, request, requestHash, invitationToken }));
  } catch (error) {
    const constraint = (error as { code?: string; constraint?: string }).code === '23505' ? (error as { constraint?: string }).constraint : undefined;
    // The same key sent twice at once: the second insert lost the race, the first run answers.
    if (constraint === 'provisioning_runs_idempotency_key_key') {
      const run = await ctx.db.withTenant(platform, (tx) => runByKey(tx, input.idempotencyKey));
      if (run) return replay(run, requestHash);
    }
    if (constraint === 'tenants_slug_key') bad(`A tenant with slug ${request.slug} exists already`, 'slug');
    throw error;
  }
  return { tenantId, invitationToken, replayed: false };
}

async function start(
  tx: Tx,
  ctx: TenancyContext,
  acting: TenantContext,
  run: { tenantId: string; idempotencyKey: string; request: ProvisioningRequest; requestHash: string; invitationToken: string },
): Promise<void> {
  const { request, tenantId } = run;
  await tx.query(
    `INSERT INTO tenants (id, slug, name, segment, tier, region, placement, cohort, status, partner_id, retention_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'provisioning', $9, $10)`,
    [tenantId, request.slug, request.name, request.segment, request.tier, request.region, request.placement, request.cohort, request.partnerId, request.retentionDays],
  );
  await tx.query(
    `INSERT INTO provisioning_runs (tenant_id, idempotency_key, request_hash, request, invitation_hash, status, requested_by)
     VALUES ($1, $2, $3, $4, $5, 'running', $6)`,
    [tenantId, run.idempotencyKey, run.requestHash, JSON.stringify(request), hashOf(run.invitationToken), ctx.tenant.principal.id],
  );
  // The tenant record is this transaction: its step is done as it commits.
  await tx.query(
    `INSERT INTO provisioning_steps (tenant_id, step, position, status, attempts, started_at, finished_at)
     SELECT $1, step, position, CASE WHEN position = 1 THEN 'done' ELSE 'pending' END, CASE WHEN position = 1 THEN 1 ELSE 0 END,
            CASE WHEN position = 1 THEN now() END, CASE WHEN position = 1 THEN now() END
       FROM unnest($2::text[]) WITH ORDINALITY AS s (step, position)`,
    [tenantId, PROVISIONING_STEPS.map((step) => step.name)],
  );
  const { adminEmail: _email, name: _name, ...settings } = request;
  await appendAudit(tx, ctx.db.deriveKey('audit'), acting, {
    owner: { tenantId, partnerId: request.partnerId },
    action: 'tenant.provisioning-started',
    target: `tenant:${tenantId}`,
    detail: { ...settings, idempotencyKey: run.idempotencyKey },
  });
  await publishEvent(tx, 'tenancy.provisioning.requested', { ...acting, tier: request.tier }, { reason: 'start' });
}

async function retry(ctx: TenancyContext, tenantId: string) {
  requirePlatformAdmin(ctx.tenant, 'resume provisioning');
  const acting = actingOn(ctx.tenant, tenantId);
  await ctx.db.withTenant(acting, async (tx) => {
    const [run] = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM provisioning_runs WHERE tenant_id = $1 FOR UPDATE`, [tenantId]);
    if (!run) throw new NotFoundError('No provisioning for this tenant');
    if (run.status !== 'failed') {
      throw new InvalidTransitionError(`A ${run.status} provisioning cannot be resumed; only a FAILED one`, { from: run.status.toUpperCase(), to: 'RUNNING' });
    }
    const [step] = await tx.query<{ step: string }>(
      `UPDATE provisioning_steps SET status = 'pending', error = NULL, finished_at = NULL WHERE tenant_id = $1 AND status = 'failed' RETURNING step`,
      [tenantId],
    );
    await tx.query(`UPDATE provisioning_runs SET status = 'running', error = NULL, finished_at = NULL WHERE tenant_id = $1`, [tenantId]);
    await appendAudit(tx, ctx.db.deriveKey('audit'), acting, {
      owner: { tenantId, partnerId: run.request.partnerId },
      action: 'tenant.provisioning-resumed',
      target: `tenant:${tenantId}`,
      detail: { step: step?.step ?? null },
    });
    await publishEvent(tx, 'tenancy.provisioning.requested', { ...acting, tier: run.request.tier }, { reason: 'retry' });
  });
  return fetchProvisioning(ctx, tenantId);
}

/** Runs with their steps, for a batch of tenants: two statements whatever the batch. */
export async function fetchProvisioningByTenants(tx: Tx, tenantIds: readonly string[]): Promise<Array<{ tenantId: string; run: RunRow; steps: StepRow[] }>> {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  const runs = await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM provisioning_runs WHERE tenant_id = ANY($1::uuid[])`, [valid]);
  if (runs.length === 0) return [];
  const steps = await tx.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM provisioning_steps WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id, position`,
    [runs.map((run) => run.tenant_id)],
  );
  return runs.map((run) => ({ tenantId: run.tenant_id, run, steps: steps.filter((step) => step.tenant_id === run.tenant_id) }));
}

/** Onboarding checklists for a batch of tenants, one statement. */
export async function fetchChecklistsByTenants(tx: Tx, tenantIds: readonly string[]) {
  const valid = tenantIds.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<{ tenant_id: string; items: Array<{ item: string; title: string; completedAt: string | null }> }>(
    `SELECT tenant_id, json_agg(json_build_object('item', item, 'title', title, 'completedAt', completed_at) ORDER BY position) AS items
       FROM onboarding_checklist WHERE tenant_id = ANY($1::uuid[]) GROUP BY tenant_id`,
    [valid],
  );
}

async function fetchProvisioning(ctx: Pick<TenancyContext, 'db' | 'tenant'>, tenantId: string) {
  const [found] = await ctx.db.withTenant(ctx.tenant, (tx) => fetchProvisioningByTenants(tx, [tenantId]));
  return found ? toProvisioning(found.run, found.steps) : null;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;
const OWNERS = new Map<string, string>(PROVISIONING_STEPS.map((step) => [step.name, step.owner]));

function toProvisioning(run: RunRow, steps: StepRow[]) {
  return {
    status: run.status.toUpperCase(),
    idempotencyKey: run.idempotency_key,
    template: run.request.segment.toUpperCase(),
    requestedBy: run.requested_by,
    requestedAt: run.requested_at.toISOString(),
    finishedAt: iso(run.finished_at),
    error: run.error,
    steps: steps.map((step) => ({
      name: step.step,
      owner: OWNERS.get(step.step) ?? 'tenancy',
      status: step.status.toUpperCase(),
      attempts: step.attempts,
      startedAt: iso(step.started_at),
      finishedAt: iso(step.finished_at),
      error: step.error,
    })),
  };
}

export const provisioningResolvers = {
  Query: {
    async segmentTemplates(_: unknown, __: unknown, ctx: TenancyContext) {
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<TemplateRow>('SELECT * FROM segment_templates ORDER BY segment'));
      return rows.map((row) => ({
        segment: row.segment.toUpperCase(),
        description: row.description,
        plan: row.plan_code,
        tier: row.tier.toUpperCase(),
        placement: row.placement.toUpperCase(),
        workflows: row.workflows,
        sloClass: row.slo_class.toUpperCase(),
        retentionDays: row.retention_days,
      }));
    },
  },
  Mutation: {
    async provisionTenant(_: unknown, args: { input: ProvisionInput }, ctx: TenancyContext) {
      const { tenantId, invitationToken, replayed } = await provision(ctx, args.input);
      const acting = actingOn(ctx.tenant, tenantId);
      const tenant = await ctx.db.withTenant(acting, async (tx) => (await tx.query('SELECT * FROM tenants WHERE id = $1', [tenantId]))[0]);
      return { tenant, provisioning: await fetchProvisioning({ ...ctx, tenant: acting }, tenantId), invitationToken, replayed };
    },
    retryProvisioning: (_: unknown, args: { tenantId: string }, ctx: TenancyContext) => retry(ctx, requireUuid(args.tenantId, 'tenantId')),
  },
  Tenant: {
    async provisioning(tenant: { id: string }, _: unknown, ctx: TenancyContext) {
      const found = await ctx.loaders.provisioningByTenant.load(tenant.id);
      return found ? toProvisioning(found.run, found.steps) : null;
    },
    async onboardingChecklist(tenant: { id: string }, _: unknown, ctx: TenancyContext) {
      const found = await ctx.loaders.checklistByTenant.load(tenant.id);
      return (found?.items ?? []).map((item) => ({ ...item, completedAt: item.completedAt && new Date(item.completedAt).toISOString() }));
    },
  },
};
