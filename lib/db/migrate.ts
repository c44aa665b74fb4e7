/**
 * Ordered, checksummed migrations per subgraph schema. Files are `NNN_description.sql` in the
 * subgraph's `migrations/` folder; each runs in its own transaction as the owner role with
 * `search_path` set to the schema, and is recorded in `<schema>.schema_migrations`.
 * A session advisory lock serialises concurrent runners; a migration edited after it was
 * applied is refused (write a new one instead). The application role gets every table of the
 * schema by default privileges, except `schema_migrations`: it must not be able to rewrite
 * which migrations ran.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connectClient } from './client.js';
import { APP_ROLE, OWNER_ROLE } from './roles.js';

export interface MigrationSet {
  /** Postgres schema the subgraph owns. */
  schema: string;
  /** Folder of `NNN_name.sql` files. */
  directory: string;
}

export interface MigrationResult {
  schema: string;
  applied: string[];
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Applies the pending migrations of one schema; returns the names applied now. */
export async function migrate(adminUrl: string, set: MigrationSet): Promise<MigrationResult> {
  const migrations = readMigrations(set.directory);
  const client = await connectClient(adminUrl);
  const schema = client.escapeIdentifier(set.schema);
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`caregraph:migrate:${set.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${OWNER_ROLE}`);
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${APP_ROLE}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${OWNER_ROLE} IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_ROLE};
       ALTER DEFAULT PRIVILEGES FOR ROLE ${OWNER_ROLE} IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE}`,
    );
    await client.query(
      `SET ROLE ${OWNER_ROLE};
       CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       );
       REVOKE ALL ON ${schema}.schema_migrations FROM PUBLIC, ${APP_ROLE};
       RESET ROLE`,
    );
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      `SELECT version, name, checksum FROM ${schema}.schema_migrations`,
    );
    const applied = new Map(rows.map((row) => [row.version, row]));
    const appliedNow: string[] = [];
    for (const migration of migrations) {
      const previous = applied.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new Error(
            `Migration ${set.schema}/${migration.file} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await client.query(`BEGIN; SET LOCAL ROLE ${OWNER_ROLE}; SET LOCAL search_path TO ${schema}, public`);
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
          [migration.version, migration.name, migration.checksum],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${set.schema}/${migration.file} failed: ${(error as Error).message}`, { cause: error });
      }
      appliedNow.push(migration.file);
    }
    return { schema: set.schema, applied: appliedNow };
  } finally {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await client.end();
  }
}

interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

function readMigrations(directory: string): Migration[] {
  const files = fs.readdirSync(directory).filter((file) => file.endsWith('.sql')).sort();
  const seen = new Set<number>();
  return files.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`Migration file ${file} in ${directory} must be named NNN_description.sql`);
    const version = Number(match[1]);
    if (seen.has(version)) throw new Error(`Two migrations in ${directory} share version ${match[1]}`);
    seen.add(version);
    const sql = fs.readFileSync(path.join(directory, file), 'utf8');
    return { version, name: match[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}
