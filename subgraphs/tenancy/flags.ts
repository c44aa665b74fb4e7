/**
 * Feature flags rolled out by release cohort (migration 009): NONE → CANARY → EARLY → GENERAL,
 * one stage per `promoteFlag`, back one per `rollbackFlag`. A tenant receives a flag once its
 * stage has reached the tenant's cohort, as part of the entitlements every gateway enforces
 * within ACCESS_CACHE_SECONDS (tenant-access.ts). A promotion reaches critical-tier tenants of
 * the newly reached cohort only when their tier's release window opens (`criticalFrom`); a
 * rollback applies to everyone at once.
 *
 * Platform admins only; every step is in the platform's audit chain and counted: rollbacks over
 * promotions is the release rollback frequency.
 */
import { BadUserInputError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { Tx } from '../../lib/db/index.js';
import { appendAudit } from './audit.js';
import { atPlatform, requirePlatformAdmin, type TenancyContext } from './context.js';
import { nextWindowOpening, releaseWindowOf } from './governance.js';

const STAGES = ['none', 'canary', 'early', 'general'] as const;
type Stage = (typeof STAGES)[number];
const FEATURE = /^[a-z][a-z0-9_]{1,62}$/;

interface FlagRow {
  feature: string;
  description: string;
  stage: Stage;
  previous_stage: Stage;
  critical_from: Date;
  stage_changed_at: Date;
  promotions: number;
  rollbacks: number;
}

const COLUMNS = 'feature, description, stage, previous_stage, critical_from, stage_changed_at, promotions, rollbacks';

const assertPlatformAdmin = (tenant: TenantContext) => requirePlatformAdmin(tenant, 'roll feature flags out');

function featureOf(value: string): string {
  if (!FEATURE.test(value)) throw new BadUserInputError('feature must be 2–63 lowercase letters, digits and underscores, starting with a letter', { argument: 'feature' });
  return value;
}

async function lockedFlag(tx: Tx, feature: string): Promise<FlagRow> {
  const [flag] = await tx.query<FlagRow>(`SELECT ${COLUMNS} FROM feature_flags WHERE feature = $1 FOR UPDATE`, [feature]);
  if (!flag) throw new NotFoundError(`No feature flag ${feature}`);
  return flag;
}

async function move(ctx: TenancyContext, feature: string, direction: 1 | -1): Promise<FlagRow> {
  assertPlatformAdmin(ctx.tenant);
  return ctx.db.withTenant(atPlatform(ctx.tenant), async (tx) => {
    const flag = await lockedFlag(tx, feature);
    const index = STAGES.indexOf(flag.stage) + direction;
    if (index < 0 || index >= STAGES.length) {
      throw new InvalidTransitionError(
        direction > 0 ? `${feature} is rolled out to every cohort already` : `${feature} has not been rolled out to any cohort`,
        { from: flag.stage.toUpperCase(), to: direction > 0 ? 'BEYOND_GENERAL' : 'BEFORE_NONE' },
      );
    }
    const stage = STAGES[index]!;
    const now = new Date();
    const [row] =
      direction > 0
        ? await tx.query<FlagRow>(
            `UPDATE feature_flags SET stage = $2, previous_stage = stage, critical_from = $3, stage_changed_at = now(), promotions = promotions + 1
              WHERE feature = $1 RETURNING ${COLUMNS}`,
            [feature, stage, nextWindowOpening(await releaseWindowOf(tx, 'critical'), now)],
          )
        : // A rollback leaves no cohort waiting: previous_stage follows the stage down.
          await tx.query<FlagRow>(
            `UPDATE feature_flags SET stage = $2, previous_stage = $2, stage_changed_at = now(), rollbacks = rollbacks + 1
              WHERE feature = $1 RETURNING ${COLUMNS}`,
            [feature, stage],
          );
    await appendAudit(tx, ctx.db.deriveKey('audit'), ctx.tenant, {
      owner: 'platform',
      action: direction > 0 ? 'flag.promoted' : 'flag.rolled-back',
      target: `flag:${feature}`,
      detail: { from: flag.stage, to: stage, ...(direction > 0 ? { criticalFrom: row!.critical_from.toISOString() } : {}) },
    });
    return row!;
  });
}

const toFlag = (row: FlagRow) => ({
  feature: row.feature,
  description: row.description,
  stage: row.stage.toUpperCase(),
  criticalFrom: row.stage === row.previous_stage || row.critical_from <= new Date() ? null : row.critical_from.toISOString(),
  stageChangedAt: row.stage_changed_at.toISOString(),
  promotions: row.promotions,
  rollbacks: row.rollbacks,
});

export const flagResolvers = {
  Query: {
    async featureFlagRollouts(_: unknown, __: unknown, ctx: TenancyContext) {
      assertPlatformAdmin(ctx.tenant);
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<FlagRow>(`SELECT ${COLUMNS} FROM feature_flags ORDER BY feature`));
      return rows.map(toFlag);
    },
  },
  Mutation: {
    async defineFeatureFlag(_: unknown, args: { feature: string; description: string }, ctx: TenancyContext) {
      assertPlatformAdmin(ctx.tenant);
      const feature = featureOf(args.feature);
      const description = args.description.trim();
      if (description.length < 1 || description.length > 200) throw new BadUserInputError('description must be 1–200 characters', { argument: 'description' });
      const row = await ctx.db.withTenant(atPlatform(ctx.tenant), async (tx) => {
        const [created] = await tx.query<FlagRow>(
          `INSERT INTO feature_flags (feature, description) VALUES ($1, $2) ON CONFLICT (feature) DO NOTHING RETURNING ${COLUMNS}`,
          [feature, description],
        );
        if (!created) throw new BadUserInputError(`A feature flag ${feature} exists already`, { argument: 'feature' });
        await appendAudit(tx, ctx.db.deriveKey('audit'), ctx.tenant, { owner: 'platform', action: 'flag.defined', target: `flag:${feature}`, detail: {} });
        return created;
      });
      return toFlag(row);
    },
    promoteFlag: async (_: unknown, args: { feature: string }, ctx: TenancyContext) => toFlag(await move(ctx, featureOf(args.feature), 1)),
    rollbackFlag: async (_: unknown, args: { feature: string }, ctx: TenancyContext) => toFlag(await move(ctx, featureOf(args.feature), -1)),
  },
};
