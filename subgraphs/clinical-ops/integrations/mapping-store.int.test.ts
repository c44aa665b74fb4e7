/**
 * The connectors' mappings against the real database: a tenant's row over the defaults, read
 * under row-level security (another tenant's mapping is invisible), and cached — a second call
 * within the TTL runs no statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../../lib/db/index.js';
import { TEST_APP_PASSWORD } from '../../../test/support/env.js';
import { adminQuery, adminUrl, bindingKey, dropScratchTenants, scratchTenant } from '../../../test/support/platform.js';
import { DEFAULT_TIMEOUT_MS } from './mapping.js';
import { integrationContext, MappingStore, readMappingRows } from './mapping-store.js';

let db: Database;
const scratch: string[] = [];

beforeAll(async () => {
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  scratch.push(await scratchTenant('Mapping Clinic A'), await scratchTenant('Mapping Clinic B'));
  await adminQuery(
    `INSERT INTO clinical_ops.integration_mappings (tenant_id, connector, base_url, payer_ids, field_map, timeout_ms, updated_by)
     VALUES ($1, 'payer_claims', 'https://claims.a.example', '{"ACME": "ACME-77"}', '{"placeOfService": "02"}', 1500, 'test')`,
    [scratch[0]],
  );
});
afterAll(async () => {
  await db.close();
  await dropScratchTenants(scratch);
});

describe('the mapping store', () => {
  it('answers the tenant’s row over the defaults, and the defaults where it has none', async () => {
    const store = new MappingStore(db);
    const [a, b] = scratch as [string, string];
    expect(await store.mappingOf(a, 'payer_claims')).toMatchObject({
      baseUrl: 'https://claims.a.example',
      payerIds: { ACME: 'ACME-77' },
      timeoutMs: 1500,
      fieldMap: { placeOfService: '02', providerId: 'npi' },
      revision: 1,
    });
    expect(await store.mappingOf(a, 'ehr')).toMatchObject({ baseUrl: null, timeoutMs: DEFAULT_TIMEOUT_MS.ehr, revision: 0 });
    expect(await store.mappingOf(b, 'payer_claims')).toMatchObject({ baseUrl: null, payerIds: {}, revision: 0 });
  });

  it('reads under row-level security: bound to one tenant, another tenant’s rows are not there', async () => {
    const [a, b] = scratch as [string, string];
    const rows = await db.withTenant(integrationContext(b), (tx) => readMappingRows(tx, a));
    expect(rows).toEqual([]);
    await expect(
      db.withTenant(integrationContext(b), (tx) => tx.query(`INSERT INTO integration_mappings (tenant_id, connector, updated_by) VALUES ($1, 'ehr', 'x')`, [a])),
    ).rejects.toThrow(/row-level security/);
  });

  it('caches a tenant’s mappings: within the TTL a call runs no statement; forget reads again', async () => {
    const store = new MappingStore(db, { ttlMs: 60_000 });
    const [a] = scratch as [string];
    await store.mappingOf(a, 'payer_claims');
    const before = db.statementCount;
    for (let i = 0; i < 20; i += 1) await store.mappingOf(a, i % 2 ? 'payer_claims' : 'pharmacy');
    expect(db.statementCount).toBe(before);
    await adminQuery(`UPDATE clinical_ops.integration_mappings SET timeout_ms = 2500 WHERE tenant_id = $1`, [a]);
    expect((await store.mappingOf(a, 'payer_claims')).timeoutMs).toBe(1500);
    store.forget(a);
    expect((await store.mappingOf(a, 'payer_claims')).timeoutMs).toBe(2500);
  });
});
