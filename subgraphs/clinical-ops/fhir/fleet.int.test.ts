/**
 * Every FHIR resource the demo fleet exports is valid R4: all 40 seeded tenants — pooled ones in
 * the shared tables, isolated ones in their own databases, reached through clinical-ops' own
 * placement-routed pool as the application role — and all their patients, appointments and
 * coverages, each through exportResources, the function fhirBundle serves, and each bundle whole.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, type Database } from '../../../lib/db/index.js';
import { servicePool } from '../../../lib/db/tenant-databases.js';
import { demoAppointments, demoFleet, demoPatients } from '../../../lib/demo/fleet.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import { TEST_APP_PASSWORD } from '../../../test/support/env.js';
import { adminUrl, testConfig } from '../../../test/support/platform.js';
import { demoRecords } from '../demo-records.js';
import { searchsetBundle } from './bundle.js';
import { exportResources, MAX_BUNDLE_ENTRIES, type FhirResourceType } from './export.js';
import { fhirProblems } from './test-support.js';

const fleet = demoFleet(40).tenants;
let db: Database;
beforeAll(() => {
  db = servicePool('clinical-ops', appUrl(adminUrl(), TEST_APP_PASSWORD), testConfig());
});
afterAll(() => db?.close());

const inTenant = (tenantId: string): TenantContext => ({
  requestId: `fhir-fleet-${randomUUID()}`,
  access: 'tenant',
  tenantId,
  principal: { id: 'service:fhir-fleet-test', kind: 'service' },
  roles: [],
  scopes: [],
  entitlements: [],
});

describe('the demo fleet’s FHIR export', () => {
  it('is valid R4, resource by resource and bundle by bundle, for every tenant and type', async () => {
    const types: FhirResourceType[] = ['PATIENT', 'APPOINTMENT', 'COVERAGE'];
    const problems: string[] = [];
    let validated = 0;
    for (const tenant of fleet) {
      const patients = demoPatients(tenant);
      const expected = { PATIENT: patients.length, APPOINTMENT: 2 * patients.length, COVERAGE: demoRecords(tenant, patients, demoAppointments(tenant, patients), new Date()).coverages.length };
      for (const type of types) {
        const { items, total } = await db.withTenant(inTenant(tenant.id), (tx) => exportResources(tx, type, MAX_BUNDLE_ENTRIES));
        expect({ tenant: tenant.slug, type, total, exported: items.length }).toEqual({ tenant: tenant.slug, type, total: expected[type], exported: expected[type] });
        for (const { resource } of items) {
          problems.push(...fhirProblems(resource).map((problem) => `${tenant.slug} ${resource.resourceType}/${resource.id} ${problem}`));
          validated += 1;
        }
        problems.push(...fhirProblems(searchsetBundle(items.map((item) => item.resource), total, randomUUID())).map((problem) => `${tenant.slug} ${type} bundle ${problem}`));
      }
    }
    expect(problems).toEqual([]);
    // 40 tenants of 12–47 patients: thousands of resources.
    expect(validated).toBeGreaterThan(3000);
  }, 120_000);
});
