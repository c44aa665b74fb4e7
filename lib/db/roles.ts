/**
 * The two database roles and the shared SQL helpers that row-level security policies use.
 *
 * - `caregraph_owner` owns every schema and table and runs migrations (NOLOGIN: the admin
 *   connection assumes it with SET ROLE).
 * - `caregraph_app` is the only role requests use: LOGIN, NOSUPERUSER, NOBYPASSRLS, and every
 *   tenant-owned table has a policy that limits it to the tenant set for the transaction.
 */
import pg from 'pg';

export const OWNER_ROLE = 'caregraph_owner';
export const APP_ROLE = 'caregraph_app';
/** Schema holding the helper functions that every subgraph's RLS policies call. */
export const SHARED_SCHEMA = 'caregraph';

const DUPLICATE_CODES = new Set(['42710', '23505', '42P06']);

/** Creates or updates both roles and the helper functions; safe to run concurrently and repeatedly. */
export async function ensureRoles(adminUrl: string, appPassword: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await ignoreDuplicate(client, `CREATE ROLE ${OWNER_ROLE} NOLOGIN`);
    await ignoreDuplicate(client, `CREATE ROLE ${APP_ROLE} LOGIN`);
    await client.query(
      `ALTER ROLE ${APP_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(appPassword)}`,
    );
    // Lets a non-superuser admin assume the owner role; a no-op for superusers.
    await ignoreDuplicate(client, `GRANT ${OWNER_ROLE} TO CURRENT_USER`);
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(rows[0]!.db)} TO ${APP_ROLE}`);

    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['caregraph:roles']);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${SHARED_SCHEMA} AUTHORIZATION ${OWNER_ROLE}`);
      await client.query(`GRANT USAGE ON SCHEMA ${SHARED_SCHEMA} TO ${APP_ROLE}`);
      // LANGUAGE sql + STABLE lets the planner inline these, so `tenant_id = current_tenant_id()`
      // still uses the tenant_id indexes.
      await client.query(`
        CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.current_tenant_id() RETURNS uuid
          LANGUAGE sql STABLE PARALLEL SAFE
          AS $$ SELECT nullif(current_setting('caregraph.tenant_id', true), '')::uuid $$;
        CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.current_partner_id() RETURNS uuid
          LANGUAGE sql STABLE PARALLEL SAFE
          AS $$ SELECT nullif(current_setting('caregraph.partner_id', true), '')::uuid $$;
        CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.platform_access() RETURNS boolean
          LANGUAGE sql STABLE PARALLEL SAFE
          AS $$ SELECT coalesce(current_setting('caregraph.access', true), '') = 'platform' $$;
        ALTER FUNCTION ${SHARED_SCHEMA}.current_tenant_id() OWNER TO ${OWNER_ROLE};
        ALTER FUNCTION ${SHARED_SCHEMA}.platform_access() OWNER TO ${OWNER_ROLE};
        ALTER FUNCTION ${SHARED_SCHEMA}.current_partner_id() OWNER TO ${OWNER_ROLE};
      `);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['caregraph:roles']);
    }
  } finally {
    await client.end();
  }
}

async function ignoreDuplicate(client: pg.Client, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (!code || !DUPLICATE_CODES.has(code)) throw error;
  }
}

/** The application role's connection string: the admin URL with the app role's credentials. */
export function appUrl(adminUrl: string, appPassword: string): string {
  const url = new URL(adminUrl);
  url.username = APP_ROLE;
  url.password = appPassword;
  return url.toString();
}
