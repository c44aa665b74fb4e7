/**
 * What the signed tenant binding costs per transaction: `npx tsx bench/db-binding.ts
 * [--transactions 5000] [--rounds 3]`. Runs tenant transactions of one indexed SELECT each,
 * one connection per kind, one transaction after another, through the former prelude (three
 * settings the application role could set itself, read by inlined SQL functions) and
 * through `Database.withTenant` (the signed binding, verified by SECURITY DEFINER functions
 * as InitPlans), the two kinds interleaved, and prints the median µs per transaction and the
 * ratio.
 *
 * Uses a scratch database on DATABASE_URL's server (dropped afterwards), or a throw-away
 * embedded PostgreSQL under .caregraph/. Results: docs/architecture.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, requireAppPassword } from '../lib/config.js';
import { appUrl, Database, ensureRoles, APP_ROLE, OWNER_ROLE } from '../lib/db/index.js';
import { openScratchDatabase } from './processes/scratch-database.js';

const TENANTS = 40;
const ROWS_PER_TENANT = 500;
const WARMUP = 500;

/** The former helpers, verbatim, under other names: what the policies trusted before. */
const FORMER_SCHEMA = `
  CREATE SCHEMA bench AUTHORIZATION ${OWNER_ROLE};
  GRANT USAGE ON SCHEMA bench TO ${APP_ROLE};
  SET ROLE ${OWNER_ROLE};
  CREATE FUNCTION bench.current_tenant_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('caregraph.tenant_id', true), '')::uuid $$;
  CREATE FUNCTION bench.platform_access() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('caregraph.access', true), '') = 'platform' $$;
  CREATE TABLE bench.items_former (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, value text NOT NULL);
  CREATE TABLE bench.items_bound (LIKE bench.items_former INCLUDING ALL);
  ALTER TABLE bench.items_former ENABLE ROW LEVEL SECURITY;
  ALTER TABLE bench.items_bound ENABLE ROW LEVEL SECURITY;
  CREATE POLICY tenant_isolation ON bench.items_former
    USING (tenant_id = bench.current_tenant_id() OR bench.platform_access());
  CREATE POLICY tenant_isolation ON bench.items_bound
    USING (tenant_id = (SELECT caregraph.current_tenant_id()) OR (SELECT caregraph.platform_access()));
  GRANT SELECT ON bench.items_former, bench.items_bound TO ${APP_ROLE};
  RESET ROLE;
`;

interface Row {
  tenantId: string;
  id: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { transactions: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' } },
    strict: true,
  });
  const transactions = Number(values.transactions);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(transactions) || transactions < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('--transactions and --rounds must be positive whole numbers');
  }
  const config = loadConfig();
  const server = await openScratchDatabase(config.database.url, 'binding');
  try {
    // The passwords are the configured ones: on a shared server the roles are shared too.
    const password = requireAppPassword(config);
    const bindingKey = randomBytes(32).toString('base64url');
    await ensureRoles(server.url, {
      appPassword: password,
      gatewayPassword: config.database.gatewayPassword,
      bindingKey,
      statementTimeoutMs: config.database.statementTimeoutMs,
    });
    const rows = await prepare(server.url);
    const url = appUrl(server.url, password);
    const former = formerTransaction(url);
    const bound = new Database({ url, schema: 'bench', poolSize: 1, bindingKey });
    const boundTransaction = async (row: Row) => {
      const found = await bound.withTenant({ access: 'tenant', tenantId: row.tenantId, principal: { id: 'bench', kind: 'service' } }, (tx) =>
        tx.query('SELECT value FROM items_bound WHERE tenant_id = $1 AND id = $2', [row.tenantId, row.id]),
      );
      if (found.length !== 1) throw new Error('the bound transaction did not see its row');
    };
    try {
      console.log(`${transactions} transactions of each kind, interleaved one by one, ${rounds} rounds, ${TENANTS * ROWS_PER_TENANT} rows per table`);
      console.log(await explain(url, bindingKey, rows[0]!));
      await interleave(rows, WARMUP, former.run, boundTransaction);
      const medians = { former: [] as number[], bound: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        const times = await interleave(rows, transactions, former.run, boundTransaction);
        medians.former.push(median(times.former));
        medians.bound.push(median(times.bound));
        console.log(`round ${round + 1}: median former ${medians.former.at(-1)!.toFixed(1)} µs, bound ${medians.bound.at(-1)!.toFixed(1)} µs`);
      }
      const formerUs = median(medians.former);
      const boundUs = median(medians.bound);
      console.log(`\nµs per transaction (median of round medians): former prelude ${formerUs.toFixed(1)}, signed binding ${boundUs.toFixed(1)}`);
      console.log(`ratio bound/former: ${(boundUs / formerUs).toFixed(2)} (+${(boundUs - formerUs).toFixed(1)} µs per transaction)`);
    } finally {
      await former.close();
      await bound.close();
    }
  } finally {
    await server.close();
  }
}

/**
 * µs of each of `count` transactions of both kinds, one of each in turn on the same rows, so
 * that the load of the machine weighs on both alike (medians, not means, are then compared).
 */
async function interleave(rows: Row[], count: number, former: (row: Row) => Promise<void>, bound: (row: Row) => Promise<void>) {
  const times = { former: [] as number[], bound: [] as number[] };
  for (let i = 0; i < count; i++) {
    const row = rows[(i * 7919) % rows.length]!;
    let started = performance.now();
    await former(row);
    times.former.push((performance.now() - started) * 1000);
    started = performance.now();
    await bound(row);
    times.bound.push((performance.now() - started) * 1000);
  }
  return times;
}

/** The former `withTenant`: the same round trips, with the settings the role could forge. */
function formerTransaction(url: string): { run: (row: Row) => Promise<void>; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c search_path=bench,public', application_name: 'caregraph-bench' });
  return {
    run: async (row) => {
      const client = await pool.connect();
      try {
        await client.query(
          `BEGIN; SET LOCAL ROLE ${APP_ROLE}; SELECT set_config('caregraph.tenant_id', '${row.tenantId}', true), ` +
            `set_config('caregraph.partner_id', '', true), set_config('caregraph.access', 'tenant', true)`,
        );
        const { rows } = await client.query('SELECT value FROM items_former WHERE tenant_id = $1 AND id = $2', [row.tenantId, row.id]);
        await client.query('COMMIT');
        if (rows.length !== 1) throw new Error('the former transaction did not see its row');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Creates both tables with the same rows; returns every (tenant, id). */
async function prepare(url: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(FORMER_SCHEMA);
    const rows: Row[] = [];
    for (let t = 0; t < TENANTS; t++) {
      const tenantId = randomUUID();
      for (let r = 0; r < ROWS_PER_TENANT; r++) rows.push({ tenantId, id: randomUUID() });
    }
    for (const table of ['items_former', 'items_bound']) {
      await client.query(
        `INSERT INTO bench.${table} (id, tenant_id, value) SELECT id, tenant_id, md5(id::text) FROM unnest($1::uuid[], $2::uuid[]) AS r(id, tenant_id)`,
        [rows.map((row) => row.id), rows.map((row) => row.tenantId)],
      );
      await client.query(`ANALYZE bench.${table}`);
    }
    return rows;
  } finally {
    await client.end();
  }
}

/** The bound query's plan: the index is used and the helpers run as InitPlans, once. */
async function explain(url: string, bindingKey: string, row: Row): Promise<string> {
  const db = new Database({ url, schema: 'bench', poolSize: 1, bindingKey });
  try {
    const plan = await db.withTenant({ access: 'tenant', tenantId: row.tenantId, principal: { id: 'bench', kind: 'service' } }, (tx) =>
      tx.query<{ 'QUERY PLAN': string }>('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT value FROM items_bound WHERE tenant_id = $1 AND id = $2', [
        row.tenantId,
        row.id,
      ]),
    );
    return `plan of the bound SELECT:\n${plan.map((line) => `  ${line['QUERY PLAN']}`).join('\n')}`;
  } finally {
    await db.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

main().catch((error: unknown) => {
  console.error(`[bench db-binding] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
