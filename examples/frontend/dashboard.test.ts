/** The printed dashboard: every panel, and each missing value with the code that explains it. */
import { describe, expect, it } from 'vitest';
import type { OperationResult } from '../graphql-result.js';
import { formatDashboard } from './dashboard.js';
import type { TenantDashboardQuery } from './src/gql/graphql.js';

const TENANT: NonNullable<TenantDashboardQuery['tenant']> = {
  id: '00000000-0000-4000-8000-00000000000a',
  slug: 'clinic-a',
  name: 'Clinic A',
  segment: 'AMBULATORY',
  tier: 'STANDARD',
  region: 'us-east',
  cohort: 'GENERAL',
  status: 'ACTIVE',
  subscription: { status: 'ACTIVE', startedAt: '2025-02-03T04:05:06.000Z', plan: { code: 'standard', name: 'Standard', features: ['scheduling', 'billing'] } },
  clinicalSummary: { patientCount: 120, upcomingAppointmentCount: 14, noShowRate: null },
  health: { availability: 0.995, errorRate: 0.005, p95LatencyMs: null, requestCount: 2000, windowMinutes: 1440 },
};

const result = (tenant: TenantDashboardQuery['tenant'], errors: OperationResult<TenantDashboardQuery>['errors'] = []): OperationResult<TenantDashboardQuery> => ({
  data: { tenant },
  errors,
  status: 200,
});
const denied = (path: string[], code: string) => ({ message: `denied: ${path.join('.')}`, code, path, extensions: { code } });

describe('formatDashboard', () => {
  it('prints each panel, and the plan-gated fields as missing with ENTITLEMENT_REQUIRED', () => {
    const text = formatDashboard(
      result(TENANT, [denied(['tenant', 'clinicalSummary', 'noShowRate'], 'ENTITLEMENT_REQUIRED'), denied(['tenant', 'health', 'p95LatencyMs'], 'ENTITLEMENT_REQUIRED')]),
    );
    expect(text.split('\n')).toEqual([
      'Clinic A (clinic-a): ambulatory, tier STANDARD, us-east, cohort GENERAL, ACTIVE',
      'Plan      Standard (standard), ACTIVE since 2025-02-03; features: scheduling, billing',
      'Clinical  120 patients, 14 upcoming appointments, no-show rate — (ENTITLEMENT_REQUIRED)',
      'Health    last 1440 min: 2000 requests, availability 99.5%, error rate 0.5%, p95 — (ENTITLEMENT_REQUIRED)',
      '! ENTITLEMENT_REQUIRED at tenant.clinicalSummary.noShowRate: denied: tenant.clinicalSummary.noShowRate',
      '! ENTITLEMENT_REQUIRED at tenant.health.p95LatencyMs: denied: tenant.health.p95LatencyMs',
    ]);
  });

  it('a whole panel denied shows its code; a null without an error is just missing', () => {
    const text = formatDashboard(
      result({ ...TENANT, subscription: null, clinicalSummary: null, health: { ...TENANT.health!, availability: null, errorRate: null } }, [
        denied(['tenant', 'clinicalSummary'], 'INSUFFICIENT_SCOPE'),
      ]),
    );
    expect(text).toContain('Plan      —\n');
    expect(text).toContain('Clinical  — (INSUFFICIENT_SCOPE)');
    expect(text).toContain('availability —, error rate —');
  });

  it('says so when the tenant is not visible', () => {
    expect(formatDashboard(result(null))).toBe('No such tenant, or not one you may see');
  });
});
