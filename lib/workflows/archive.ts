/**
 * One domain's archive of one tenant's rows, and the purge of those rows: the data half of
 * offboarding (lib/workflows/offboarding.ts has the jobs and events around it).
 *
 * Every statement runs in the caller's transaction, which the domain's own `Database` bound to
 * the tenant (`db.withTenant`): the tables are those of the transaction's schema (its search path,
 * `current_schema()`), found in the catalogue by their `tenant_id` column, so a table a migration
 * adds later is exported and purged without anyone remembering to list it, and row-level security
 * holds every read to the tenant. The event internals (`outbox`, `processed_events`) and the
 * archive table itself are never part of either.
 *
 * - **Export.** NDJSON, one line per row, `{"table": "<name>", "row": {…}}`, tables by name and
 *   rows by primary key, so the bytes say what they hold line by line. Stored once per tenant in
 *   `tenant_exports` with its size, SHA-256 and row counts per table (every table, zeros too).
 * - **Purge.** The tenant's rows of every table (but those the domain keeps), deleted in
 *   foreign-key order through the schema's `purge_tenant_rows` (a SECURITY DEFINER function: some
 *   tables are append-only for the application role, and the function refuses anything but the
 *   bound tenant's rows of an exported tenant), then the archive's bytes; one transaction.
 */
import { createHash } from 'node:crypto';
import type { Tx } from '../db/index.js';

/** Never exported nor purged: the events a domain publishes and consumes, and the archive itself. */
export const INTERNAL_TABLES: readonly string[] = Object.freeze(['outbox', 'processed_events', 'tenant_exports']);

/** The archive table, as counted in a purge. */
export const ARCHIVE_TABLE = 'tenant_exports';

const TABLE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Rows per table. */
export type TableCounts = Record<string, number>;

export interface ArchiveSummary {
  tables: TableCounts;
  rowCount: number;
  bytes: number;
  sha256: string;
  /** False when the tenant had been exported already: nothing was written now. */
  created: boolean;
}

/**
 * The tenant-owned tables of the transaction's schema, less `excluded` and the internals, in an
 * order fit for deleting: a table comes before every table it references.
 */
export async function tenantTables(tx: Tx, excluded: readonly string[] = []): Promise<string[]> {
  const skip = new Set([...INTERNAL_TABLES, ...excluded]);
  const rows = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND a.attname = 'tenant_id' AND NOT a.attisdropped
      ORDER BY c.relname`,
  );
  const names = rows.map((row) => row.name).filter((name) => !skip.has(name));
  for (const name of names) if (!TABLE_NAME.test(name)) throw new Error(`Table ${name} has a name the archive cannot carry`);
  const references = await tx.query<{ referencing: string; referenced: string }>(
    `SELECT src.relname AS referencing, dst.relname AS referenced FROM pg_constraint con
       JOIN pg_class src ON src.oid = con.conrelid JOIN pg_class dst ON dst.oid = con.confrelid
      WHERE con.contype = 'f' AND src.relnamespace = current_schema()::regnamespace AND dst.relnamespace = src.relnamespace`,
  );
  return deletionOrder(names, references);
}

/**
 * `tables` ordered so that each comes before the tables it references (Kahn's algorithm, ties by
 * name); references to tables outside the list, and a table's references to itself, do not
 * constrain. Throws on a cycle, which no purge could delete table by table.
 */
export function deletionOrder(tables: readonly string[], references: readonly { referencing: string; referenced: string }[]): string[] {
  const remaining = new Set(tables);
  const edges = references.filter((edge) => edge.referencing !== edge.referenced && remaining.has(edge.referencing) && remaining.has(edge.referenced));
  const order: string[] = [];
  while (remaining.size > 0) {
    // Free to delete: no table still to delete references it.
    const free = [...remaining].filter((table) => !edges.some((edge) => edge.referenced === table && remaining.has(edge.referencing))).sort();
    if (free.length === 0) throw new Error(`Tables ${[...remaining].sort().join(', ')} reference each other in a cycle`);
    for (const table of free) {
      order.push(table);
      remaining.delete(table);
    }
  }
  return order;
}

const quote = (name: string) => `"${name}"`;

/** The primary key columns of `table`, in key order (none: the archive orders the rows by their JSON). */
async function primaryKey(tx: Tx, table: string): Promise<string[]> {
  const rows = await tx.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = format('%I.%I', current_schema(), $1::text)::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return rows.map((row) => row.column);
}

/** The NDJSON lines of one table's rows of the tenant. */
async function tableLines(tx: Tx, table: string, tenantId: string): Promise<string[]> {
  const key = await primaryKey(tx, table);
  const order = key.length > 0 ? key.map((column) => `t.${quote(column)}`).join(', ') : 'line';
  const rows = await tx.query<{ line: string }>(
    `SELECT json_build_object('table', $2::text, 'row', to_jsonb(t))::text AS line FROM ${quote(table)} t WHERE t.tenant_id = $1 ORDER BY ${order}`,
    [tenantId, table],
  );
  return rows.map((row) => row.line);
}

/** Builds the archive of the tenant's rows: its bytes and what they hold. */
export async function buildArchive(tx: Tx, tenantId: string, excluded: readonly string[] = []): Promise<{ archive: Buffer; tables: TableCounts; rowCount: number }> {
  const tables: TableCounts = {};
  const lines: string[] = [];
  for (const table of [...(await tenantTables(tx, excluded))].sort()) {
    const rows = await tableLines(tx, table, tenantId);
    tables[table] = rows.length;
    lines.push(...rows);
  }
  const archive = Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8');
  return { archive, tables, rowCount: lines.length };
}

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface ExportRow {
  bytes: string;
  sha256: string;
  tables: TableCounts;
  row_count: string;
}

const summaryOf = (row: ExportRow, created: boolean): ArchiveSummary => ({
  tables: row.tables,
  rowCount: Number(row.row_count),
  bytes: Number(row.bytes),
  sha256: row.sha256,
  created,
});

/**
 * Archives the tenant's rows of the transaction's schema once: a tenant exported already keeps
 * its archive (`created: false`), whoever asks again.
 */
export async function exportTenant(tx: Tx, tenantId: string, excluded: readonly string[] = []): Promise<ArchiveSummary> {
  const existing = async () => (await tx.query<ExportRow>('SELECT bytes, sha256, tables, row_count FROM tenant_exports WHERE tenant_id = $1', [tenantId]))[0];
  const before = await existing();
  if (before) return summaryOf(before, false);
  const { archive, tables, rowCount } = await buildArchive(tx, tenantId, excluded);
  const [written] = await tx.query<ExportRow>(
    `INSERT INTO tenant_exports (tenant_id, archive, bytes, sha256, tables, row_count) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id) DO NOTHING RETURNING bytes, sha256, tables, row_count`,
    [tenantId, archive, archive.byteLength, sha256Of(archive), JSON.stringify(tables), rowCount],
  );
  // Written by a concurrent attempt meanwhile: that one is the archive.
  return written ? summaryOf(written, true) : summaryOf((await existing())!, false);
}

/** The tenant's archive as stored, or undefined when there is none (not exported, or purged). */
export async function readArchive(tx: Tx, tenantId: string): Promise<{ archive: Buffer; sha256: string } | undefined> {
  const [row] = await tx.query<{ archive: Buffer | null; sha256: string }>('SELECT archive, sha256 FROM tenant_exports WHERE tenant_id = $1', [tenantId]);
  return row?.archive ? { archive: row.archive, sha256: row.sha256 } : undefined;
}

export type PurgeOutcome = { outcome: 'purged'; tables: TableCounts } | { outcome: 'already-purged' } | { outcome: 'not-exported' };

/**
 * Deletes the tenant's rows of every tenant table of the schema but `kept`, then empties its
 * archive; answers the rows deleted per table (the archive counts as `tenant_exports`: 1). A
 * tenant purged already, or never exported, is left as it is.
 */
export async function purgeTenant(tx: Tx, tenantId: string, kept: readonly string[] = []): Promise<PurgeOutcome> {
  const [archive] = await tx.query<{ purged: boolean }>('SELECT purged_at IS NOT NULL AS purged FROM tenant_exports WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
  if (!archive) return { outcome: 'not-exported' };
  if (archive.purged) return { outcome: 'already-purged' };
  const tables: TableCounts = {};
  for (const table of await tenantTables(tx, kept)) {
    const [deleted] = await tx.query<{ n: string }>('SELECT purge_tenant_rows($1) AS n', [table]);
    tables[table] = Number(deleted!.n);
  }
  await tx.query('UPDATE tenant_exports SET archive = NULL, purged_at = now() WHERE tenant_id = $1', [tenantId]);
  tables[ARCHIVE_TABLE] = 1;
  return { outcome: 'purged', tables };
}
