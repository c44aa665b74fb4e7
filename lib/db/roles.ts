/**
 * The database roles and the shared SQL helpers that row-level security policies use.
 *
 * - `caregraph_owner` owns every schema and table and runs migrations (NOLOGIN: the admin
 *   connection assumes it with SET ROLE).
 * - `caregraph_app` is the only role requests use: LOGIN, NOSUPERUSER, NOBYPASSRLS, statement
 *   and idle-in-transaction timeouts, and every tenant-owned table has a policy that limits it
 *   to the tenant its transaction is bound to (see binding.ts).
 * - `caregraph_gateway` is the gateway's: LOGIN, with a short statement timeout, granted the
 *   shared rate-limit counters (gateway/migrations/) and nothing else, so a gateway holds no
 *   credential that reads a tenant's rows.
 * - `caregraph_placement` creates and fills ISOLATED tenants' own databases (tenant-databases.ts):
 *   LOGIN, CREATEDB, a member of the owner so that it can migrate them and move a tenant's rows.
 *   Its password is derived from the binding key (`placementPassword`): only what already holds
 *   the key, and so could bind a transaction to any tenant, can log in as it.
 */
import { createHmac } from 'node:crypto';
import type pg from 'pg';
import { connectClient } from './client.js';
import { ConfigError, requireAppPassword, type Config } from '../config.js';
import { bindingPads, resolveBindingKey } from './binding.js';

export const OWNER_ROLE = 'caregraph_owner';
export const APP_ROLE = 'caregraph_app';
export const GATEWAY_ROLE = 'caregraph_gateway';
export const PLACEMENT_ROLE = 'caregraph_placement';
/**
 * The gateway role's statement timeout: a rate-limit upsert takes well under a millisecond, and
 * the limiter fails open on its own timeout (lib/rate-limit/postgres-store.ts) before this.
 */
const GATEWAY_STATEMENT_TIMEOUT_MS = 2_000;
/** Schema holding the helper functions that every subgraph's RLS policies call. */
export const SHARED_SCHEMA = 'caregraph';

const DUPLICATE_CODES = new Set(['42710', '23505', '42P06']);

/** What `ensureRoles` writes: the login roles' passwords and limits, and the binding key. */
export interface RoleSettings {
  appPassword: string;
  /** Unset (production without DATABASE_GATEWAY_PASSWORD): the gateway role has no password to log in with. */
  gatewayPassword?: string;
  /** Key of the tenant bindings (see binding.ts); every subgraph must use the same. */
  bindingKey: string;
  /** statement_timeout and idle_in_transaction_session_timeout of the application role. */
  statementTimeoutMs: number;
}

/** The role settings of this configuration (generates the binding key file when needed). */
export function roleSettings(config: Config): RoleSettings {
  return {
    appPassword: requireAppPassword(config),
    gatewayPassword: config.database.gatewayPassword,
    bindingKey: resolveBindingKey(config),
    statementTimeoutMs: config.database.statementTimeoutMs,
  };
}

/**
 * Creates or updates the roles, the binding key and the helper functions of the database
 * `adminUrl` names; safe to run concurrently and repeatedly.
 */
export async function ensureRoles(adminUrl: string, settings: RoleSettings): Promise<void> {
  const client = await connectClient(adminUrl);
  try {
    await ignoreDuplicate(client, `CREATE ROLE ${OWNER_ROLE} NOLOGIN`);
    await ignoreDuplicate(client, `CREATE ROLE ${APP_ROLE} LOGIN`);
    await client.query(
      `ALTER ROLE ${APP_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(settings.appPassword)}`,
    );
    await ignoreDuplicate(client, `CREATE ROLE ${GATEWAY_ROLE} LOGIN`);
    const gatewayPassword = settings.gatewayPassword === undefined ? 'NULL' : client.escapeLiteral(settings.gatewayPassword);
    await client.query(
      `ALTER ROLE ${GATEWAY_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD ${gatewayPassword}`,
    );
    await ignoreDuplicate(client, `CREATE ROLE ${PLACEMENT_ROLE} LOGIN`);
    await client.query(
      `ALTER ROLE ${PLACEMENT_ROLE} WITH LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(placementPassword(settings.bindingKey))}`,
    );
    // Lets a non-superuser admin assume the owner role; a no-op for superusers.
    await ignoreDuplicate(client, `GRANT ${OWNER_ROLE} TO CURRENT_USER`);
    await ignoreDuplicate(client, `GRANT ${OWNER_ROLE} TO ${PLACEMENT_ROLE}`);
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    const database = client.escapeIdentifier(rows[0]!.db);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${APP_ROLE}, ${GATEWAY_ROLE}, ${PLACEMENT_ROLE}`);
    // Per database, like everything else here. The role may still raise them itself (SET is
    // open to every role): they stop runaway queries, not a hostile connection.
    const timeout = Math.trunc(settings.statementTimeoutMs);
    await client.query(
      `ALTER ROLE ${APP_ROLE} IN DATABASE ${database} SET statement_timeout = ${timeout};
       ALTER ROLE ${APP_ROLE} IN DATABASE ${database} SET idle_in_transaction_session_timeout = ${timeout};
       ALTER ROLE ${GATEWAY_ROLE} IN DATABASE ${database} SET statement_timeout = ${GATEWAY_STATEMENT_TIMEOUT_MS}`,
    );

    await installSharedSchema(client, bindingPads(settings.bindingKey));
  } finally {
    await client.end();
  }
}

/** The binding key as the database keeps it: HMAC's padded halves (binding.ts). */
export interface BindingPads {
  inner: Buffer;
  outer: Buffer;
}

/**
 * The `caregraph` schema of one database: the binding key (as pads) and the policy helpers.
 * Run by `ensureRoles` on the shared database and by tenant-databases.ts on each tenant's own,
 * on a connection that may assume the owner role.
 */
export async function installSharedSchema(client: pg.ClientBase, pads: BindingPads): Promise<void> {
  await client.query('SELECT pg_advisory_lock(hashtext($1))', ['caregraph:roles']);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${SHARED_SCHEMA} AUTHORIZATION ${OWNER_ROLE}`);
    await client.query(`GRANT USAGE ON SCHEMA ${SHARED_SCHEMA} TO ${APP_ROLE}`);
    await client.query(`BEGIN; SET LOCAL ROLE ${OWNER_ROLE}`);
    try {
      await client.query(BINDING_KEY_TABLE);
      await client.query(
        `INSERT INTO ${SHARED_SCHEMA}.binding_key (inner_pad, outer_pad) VALUES ($1, $2)
         ON CONFLICT (singleton) DO UPDATE SET inner_pad = excluded.inner_pad, outer_pad = excluded.outer_pad`,
        [pads.inner, pads.outer],
      );
      await client.query(HELPER_FUNCTIONS);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['caregraph:roles']);
  }
}

/** The placement role's password: HMAC(binding key, `caregraph:placement-role`), hex. */
export function placementPassword(bindingKey: string): string {
  return createHmac('sha256', bindingKey).update('caregraph:placement-role').digest('hex');
}

/** The key, as HMAC's padded halves; no privilege for anyone but its owner. */
const BINDING_KEY_TABLE = `
  CREATE TABLE IF NOT EXISTS ${SHARED_SCHEMA}.binding_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    inner_pad bytea NOT NULL CHECK (length(inner_pad) = 64),
    outer_pad bytea NOT NULL CHECK (length(outer_pad) = 64)
  );
  REVOKE ALL ON ${SHARED_SCHEMA}.binding_key FROM PUBLIC, ${APP_ROLE};
`;

/** Raises the error of a binding that is present but not acceptable (called only then). */
const REFUSE = `${SHARED_SCHEMA}.refuse_binding`;

/**
 * The check every helper starts with, on the transaction's `caregraph.binding` split into
 * `p`, with the owner-only key `k`: no binding yields no row (no tenant: policies match
 * nothing); one that is malformed, forged, made for another connection or expired raises
 * insufficient_privilege, so that forgery is loud; otherwise `result` (text) is computed.
 * CASE tries each condition in order, so the claims are read only once the MAC is verified.
 */
const verified = (result: string) => `
  SELECT CASE
           WHEN cardinality(p) <> 6 THEN ${REFUSE}('is malformed')
           WHEN k.inner_pad IS NULL THEN ${REFUSE}('cannot be checked: no binding key (run npm run migrate)')
           -- Compared as hashes, so that the time taken says nothing about a guessed prefix.
           WHEN sha256(convert_to(p[6], 'UTF8'))
                <> sha256(convert_to(encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(array_to_string(p[1:5], '|'), 'UTF8'))), 'hex'), 'UTF8'))
             THEN ${REFUSE}('is forged')
           WHEN p[4] <> pg_backend_pid()::text THEN ${REFUSE}('was made for another connection')
           WHEN p[5]::bigint < extract(epoch FROM now())
             THEN ${REFUSE}('has expired (the clocks of the service and database hosts must agree within a minute)')
           ELSE ${result}
         END
    FROM string_to_array(nullif(current_setting('caregraph.binding', true), ''), '|') AS p
    LEFT JOIN ${SHARED_SCHEMA}.binding_key k ON true
   WHERE p IS NOT NULL`;

/**
 * The three helpers keep the names and signatures the policies call. Each is one SQL
 * function, SECURITY DEFINER (it runs as the owner, who alone reads the key) with a pinned
 * search_path, so nothing the caller puts on its path is resolved inside; PARALLEL
 * RESTRICTED because pg_backend_pid() differs in a parallel worker. They cannot be inlined:
 * policies call them as `(SELECT caregraph.…())`, an InitPlan evaluated once per statement.
 * (One function per helper rather than helpers over a shared verifier: one call layer fewer
 * saves about a third of the check's cost, see docs/architecture.md.)
 */
const DEFINER = `LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp`;
const HELPER_FUNCTIONS = `
  CREATE OR REPLACE FUNCTION ${REFUSE}(problem text) RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
    AS $$ BEGIN RAISE EXCEPTION 'caregraph.binding %', problem USING ERRCODE = 'insufficient_privilege'; END $$;
  REVOKE ALL ON FUNCTION ${REFUSE}(text) FROM PUBLIC;

  CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.current_tenant_id() RETURNS uuid ${DEFINER}
    AS $$ SELECT (${verified(`CASE WHEN p[1] = 'tenant' THEN p[2] END`)})::uuid $$;
  CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.current_partner_id() RETURNS uuid ${DEFINER}
    AS $$ SELECT (${verified(`CASE WHEN p[1] = 'partner' THEN p[3] END`)})::uuid $$;
  CREATE OR REPLACE FUNCTION ${SHARED_SCHEMA}.platform_access() RETURNS boolean ${DEFINER}
    AS $$ SELECT coalesce((${verified(`(p[1] = 'platform')::text`)})::boolean, false) $$;
`;

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
  return withRole(adminUrl, APP_ROLE, appPassword);
}

/** The gateway role's connection string: the admin URL with the gateway role's credentials. */
export function gatewayUrl(adminUrl: string, gatewayPassword: string): string {
  return withRole(adminUrl, GATEWAY_ROLE, gatewayPassword);
}

function withRole(adminUrl: string, role: string, password: string): string {
  const url = new URL(adminUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/**
 * Where the gateway keeps its shared rate-limit counters: DATABASE_GATEWAY_URL, or the gateway
 * role's credentials on DATABASE_URL's server; undefined when neither is known (each replica
 * then counts in its own memory). ConfigError when DATABASE_GATEWAY_URL names another role.
 */
export function gatewayDatabaseUrl(config: Config): string | undefined {
  const { gatewayUrl: configured, url: admin, gatewayPassword } = config.database;
  if (configured) {
    if (decodeURIComponent(new URL(configured).username) !== GATEWAY_ROLE) {
      throw new ConfigError([{ variable: 'DATABASE_GATEWAY_URL', message: `must connect as ${GATEWAY_ROLE}, the gateway role` }]);
    }
    return configured;
  }
  return admin && gatewayPassword ? gatewayUrl(admin, gatewayPassword) : undefined;
}

/**
 * Where a subgraph connects: DATABASE_APP_URL, or the application role's credentials on
 * DATABASE_URL's server. ConfigError when neither is set, or when DATABASE_APP_URL names
 * another role (an admin URL there would put superuser credentials in a service).
 */
export function applicationUrl(config: Config, service: string): string {
  const { appUrl: configured, url: admin } = config.database;
  if (configured) {
    if (decodeURIComponent(new URL(configured).username) !== APP_ROLE) {
      throw new ConfigError([{ variable: 'DATABASE_APP_URL', message: `must connect as ${APP_ROLE}, the application role` }]);
    }
    return configured;
  }
  if (admin) return appUrl(admin, requireAppPassword(config));
  throw new ConfigError([
    {
      variable: 'DATABASE_APP_URL',
      message: `the ${service} subgraph needs the application role's connection string: set DATABASE_APP_URL, or DATABASE_URL and DATABASE_APP_PASSWORD to derive it (npm start provides it)`,
    },
  ]);
}
