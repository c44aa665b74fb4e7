/** What every clinical-records resolver checks first: the request acts in one tenant, and its page sizes and texts are in range. */
import { BadUserInputError, TenantForbiddenError } from '../../lib/errors.js';
import type { TenantContext } from '../../lib/tenant-context.js';

/**
 * Clinical records are read and written inside one tenant only. Row-level security would let a
 * platform-level transaction see every tenant's patients (the fleet's counts need it), so these
 * resolvers refuse a request that does not act in one tenant.
 */
export function assertTenantLevel(tenant: TenantContext): asserts tenant is TenantContext & { tenantId: string } {
  if (tenant.access !== 'tenant' || !tenant.tenantId) throw new TenantForbiddenError('Clinical records are read within one tenant: send x-tenant-id');
}

/** `first`, checked to be 1–`max` (BAD_USER_INPUT naming it otherwise). */
export function pageSize(first: number | null | undefined, fallback: number, max: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) throw new BadUserInputError(`first must be between 1 and ${max}`, { argument: 'first' });
  return size;
}

/** A text argument, trimmed, of `min`–`max` characters; messages name the argument, never its value. */
export function requireText(value: string | null | undefined, argument: string, min: number, max: number): string {
  const text = (value ?? '').trim();
  if (text.length < min || text.length > max) throw new BadUserInputError(`${argument} must be ${min}–${max} characters`, { argument });
  return text;
}

/** The constraint a unique violation names, or undefined for any other error. */
export function uniqueViolation(error: unknown): string | undefined {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' ? (constraint ?? '') : undefined;
}

/** A calendar date as YYYY-MM-DD that exists (no 2023-02-30), or BAD_USER_INPUT naming the argument. */
export function requireDate(value: string, argument: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new BadUserInputError(`${argument} must be a date as YYYY-MM-DD`, { argument });
  return value;
}
