/**
 * rowLoader against the real database, as the application role: the keys of one tick are one
 * batch, one tenant-bound transaction and one statement, whatever their number; keys without
 * a row — missing, or another tenant's and hidden by row-level security — load null.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl, bindingKey } from '../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../test/support/env.js';
import { Database, type Tx } from './db/index.js';
import { appUrl } from './db/roles.js';
import { rowLoader } from './loaders.js';
import type { TenantContext } from './tenant-context.js';

interface Row {
  id: string;
  tenant_id: string;
}

let db: Database;
let tenantA: string;
let patientsOfA: string[];
let patientOfB: string;

beforeAll(async () => {
  db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  const admin: pg.Client = await adminClient();
  try {
    const tenants = await admin.query<{ id: string }>(
      'SELECT tenant_id AS id FROM clinical_ops.patients GROUP BY tenant_id HAVING count(*) >= 20 ORDER BY tenant_id LIMIT 2',
    );
    const [a, b] = tenants.rows.map((row) => row.id) as [string, string];
    tenantA = a;
    patientsOfA = (await admin.query<{ id: string }>('SELECT id FROM clinical_ops.patients WHERE tenant_id = $1 ORDER BY id LIMIT 20', [a])).rows.map((r) => r.id);
    patientOfB = (await admin.query<{ id: string }>('SELECT id FROM clinical_ops.patients WHERE tenant_id = $1 LIMIT 1', [b])).rows[0]!.id;
  } finally {
    await admin.end();
  }
});
afterAll(() => db?.close());

const tenantOf = (tenantId: string): TenantContext => ({
  requestId: 'loader-test',
  access: 'tenant',
  tenantId,
  principal: { id: 'loader-test', kind: 'user' },
  roles: ['clinician'],
  scopes: [],
  entitlements: [],
});

/** A patient loader whose fetch records the keys of each batch and the statements it sends. */
function patientLoader(tenant: TenantContext) {
  const batches: string[][] = [];
  const loader = rowLoader<string, Row>(
    db,
    tenant,
    async (tx: Tx, keys) => {
      batches.push([...keys]);
      return tx.query<Row>('SELECT id, tenant_id FROM patients WHERE id = ANY($1::uuid[])', [keys]);
    },
    (row) => row.id,
  );
  return { loader, batches };
}

describe('rowLoader', () => {
  it('loads the keys of one tick in one batch, one transaction and one statement, in key order', async () => {
    const single = patientLoader(tenantOf(tenantA));
    let before = db.statementCount;
    await single.loader.load(patientsOfA[0]!);
    const statementsForOne = db.statementCount - before;

    const { loader, batches } = patientLoader(tenantOf(tenantA));
    const keys = [...patientsOfA].reverse();
    before = db.statementCount;
    const rows = await Promise.all(keys.map((key) => loader.load(key)));
    expect(batches).toEqual([keys]);
    // The same prelude, query and commit as for a single key: nothing per key.
    expect(db.statementCount - before).toBe(statementsForOne);
    expect(rows.map((row) => row?.id)).toEqual(keys);
    expect(rows.every((row) => row?.tenant_id === tenantA)).toBe(true);
  });

  it('loads null for a missing key and for another tenant’s row, which row-level security hides', async () => {
    const { loader, batches } = patientLoader(tenantOf(tenantA));
    const missing = '00000000-0000-4000-8000-00000000dead';
    const [own, others, none] = await Promise.all([loader.load(patientsOfA[0]!), loader.load(patientOfB), loader.load(missing)]);
    expect(own?.id).toBe(patientsOfA[0]);
    expect(others).toBeNull();
    expect(none).toBeNull();
    expect(batches).toHaveLength(1);
  });

  it('sends each distinct key once, and answers repeated loads from the request’s cache', async () => {
    const { loader, batches } = patientLoader(tenantOf(tenantA));
    const [first, again] = await Promise.all([loader.load(patientsOfA[1]!), loader.load(patientsOfA[1]!)]);
    expect(first).toEqual(again);
    await loader.load(patientsOfA[1]!);
    expect(batches).toEqual([[patientsOfA[1]]]);
  });

  it('runs the batch bound to the context’s tenant: a loader for another tenant sees none of A’s rows', async () => {
    const { loader } = patientLoader(tenantOf('00000000-0000-4000-8000-0000000000ff'));
    expect(await Promise.all(patientsOfA.slice(0, 5).map((id) => loader.load(id)))).toEqual([null, null, null, null, null]);
  });
});
