/**
 * Onboarding cycle time (docs/milestones.md): for each tenant that went live, the whole UTC
 * calendar days from the day its contract was signed to the day it went live; per group, how
 * many such tenants, and the median and mean of their days. Pure, so the figures are checked by
 * hand in cycle-time.test.ts.
 */

/** One tenant that went live: its cycle in days and the group it falls in. */
export interface TenantCycle {
  tenantId: string;
  /** The partner that brought the tenant (erp.partner_attributions), or null for a direct tenant. */
  partnerId: string | null;
  /** The tenant's tier as erp last heard it (erp.tenant_tiers), or null before it has. */
  tier: string | null;
  days: number;
}

export type CycleGrouping = 'tenant' | 'partner' | 'tier';

/** The key of a direct tenant's group when grouping by partner. */
export const DIRECT = 'direct';
/** The key of the group of tenants whose tier erp has not heard yet, when grouping by tier. */
export const UNKNOWN_TIER = 'unknown';

export interface CycleGroup {
  /** The tenant's id, the partner's id or `direct`, the tier or `unknown`. */
  key: string;
  tenantId: string | null;
  partnerId: string | null;
  tier: string | null;
  count: number;
  medianDays: number;
  meanDays: number;
}

/** Rounds to two decimals, half away from zero (figures for people, not for money). */
const round2 = (value: number) => Math.sign(value) * Math.round(Math.abs(value) * 100) / 100;

/** The median of `values` (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The arithmetic mean of `values`; NaN for none. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** How many cycles, and their median and mean rounded to two decimals; null for none. */
export function summariseCycles(cycles: readonly TenantCycle[]): Pick<CycleGroup, 'count' | 'medianDays' | 'meanDays'> | null {
  if (cycles.length === 0) return null;
  const days = cycles.map((cycle) => cycle.days);
  return { count: cycles.length, medianDays: round2(median(days)), meanDays: round2(mean(days)) };
}

/** The tenants' cycles per group, groups ordered by key; median and mean rounded to two decimals. */
export function groupCycles(cycles: readonly TenantCycle[], by: CycleGrouping): CycleGroup[] {
  const groups = new Map<string, TenantCycle[]>();
  for (const cycle of cycles) {
    const key = by === 'tenant' ? cycle.tenantId : by === 'partner' ? (cycle.partnerId ?? DIRECT) : (cycle.tier ?? UNKNOWN_TIER);
    groups.set(key, [...(groups.get(key) ?? []), cycle]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, members]) => ({
      key,
      tenantId: by === 'tenant' ? key : null,
      partnerId: by === 'partner' && key !== DIRECT ? key : null,
      tier: by === 'tier' && key !== UNKNOWN_TIER ? key : null,
      ...summariseCycles(members)!,
    }));
}
