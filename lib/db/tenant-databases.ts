/**
 * Placement: where a tenant's data lives. A POOLED tenant's rows are in the shared database's
 * tables under row-level security; an ISOLATED tenant's are in a database of its own, on the
 * server of its region (DATABASE_REGION_SERVERS; by default the shared database's server), named
 * after the shared database, the region and the tenant: `cg<8 hex of the shared database's name's
 * SHA-256>_<region>_<tenant id without dashes>`. That database
 * holds the service's whole schema, migrated like the shared one, with the same binding key and
 * the same policies, so the same resolvers run against it unchanged.
 *
 * - `PlacementRoutedDatabase` is a `Database` whose tenant-bound transactions go to the tenant's
 *   database, as the service's `workspaces` table says (cached for ROUTE_TTL_MS); platform-level
 *   reads that must see every tenant use `acrossPlacements`.
 * - `ensureTenantDatabase` creates and migrates a tenant's database on the spot (provisioning).
 * - `moveTenantRows` carries a tenant's rows from one placement to the other, verified by row
 *   counts, while every other tenant goes on being served.
 *
 * Both run as `caregraph_placement` (roles.ts): the services log in as it with the password derived
 * from the binding key; `npm run seed` uses the admin connection instead.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { connectClients, connectClient } from './client.js';
import type { Config } from '../config.js';
import { ServiceUnavailableError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { TenantContext } from '../tenant-context.js';
import { resolvePath, SERVICES, type ServiceName } from '../services.js';
import { TtlCache } from '../ttl-cache.js';
import { resolveBindingKey } from './binding.js';
import { Database, type DatabaseOptions, type Tx } from './database.js';
import { migrate, type MigrationSet } from './migrate.js';
import { APP_ROLE, installSharedSchema, OWNER_ROLE, PLACEMENT_ROLE, placementPassword, SHARED_SCHEMA } from './roles.js';

export type Placement = 'pooled' | 'isolated';

/**
 * How long a tenant's route may be served from a replica's cache. A move waits this long (and a
 * margin) after marking the tenant `moving`, so that no replica still sends it to the old place.
 */
export const ROUTE_TTL_MS = 2000;
/** Connections per isolated tenant's pool: one tenant's share, not a service's. */
const ISOLATED_POOL_SIZE = 3;
/** Tables of a schema that are the service's machinery, not the tenant's data: never moved. */
const MACHINERY_TABLES = new Set(['outbox', 'processed_events', 'workspaces', 'schema_migrations']);

export interface TenantRoute {
  placement: Placement;
  state: 'ready' | 'moving';
  region: string;
  /** The tenant's own database (isolated, or being moved there); null for a pooled tenant. */
  databaseName: string | null;
}

const POOLED: TenantRoute = Object.freeze({ placement: 'pooled', state: 'ready', region: '', databaseName: null });

/** The name of a tenant's own database: region and tenant, 63 characters at most. */
export function tenantDatabaseName(sharedUrl: string, region: string, tenantId: string): string {
  if (!/^[a-z][a-z0-9-]{1,17}$/.test(region)) throw new Error(`tenantDatabaseName: ${JSON.stringify(region)} is not a region (2–18 characters)`);
  if (!isUuid(tenantId)) throw new Error('tenantDatabaseName: not a tenant id');
  // The shared database's name, hashed, keeps two platforms on one server (a test run and a
  // benchmark, each with its own binding key) from sharing a tenant's database. 63 bytes at most.
  const shared = decodeURIComponent(new URL(sharedUrl).pathname.slice(1)) || 'postgres';
  const platform = createHash('sha256').update(shared).digest('hex').slice(0, 8);
  return `cg${platform}_${region.replace(/-/g, '_')}_${tenantId.replace(/-/g, '').toLowerCase()}`;
}

/**
 * The connection string of `database` on `region`'s server, as `role`: the server from
 * `regionServers` (its credentials ignored), else `sharedUrl`'s.
 */
export function regionDatabaseUrl(
  sharedUrl: string,
  regionServers: Readonly<Record<string, string>>,
  region: string,
  database: string,
  credentials?: { role: string; password: string },
): string {
  const shared = new URL(sharedUrl);
  const url = new URL(regionServers[region] ?? sharedUrl);
  url.username = credentials ? credentials.role : shared.username;
  url.password = credentials ? credentials.password : shared.password;
  url.pathname = `/${database}`;
  return url.toString();
}

export interface RoutedDatabaseOptions extends DatabaseOptions {
  regionServers: Readonly<Record<string, string>>;
  /** The schema's migrations, applied to each tenant database it creates. */
  migrations: MigrationSet;
  /** The application role's statement timeout, set on each tenant database it creates. */
  statementTimeoutMs: number;
}

/**
 * A service's pool that sends each tenant-bound transaction where the tenant's data lives: the
 * shared database for pooled tenants, the tenant's own for isolated ones (a small pool each,
 * opened on first use). A tenant being moved is refused with SERVICE_UNAVAILABLE for the moment
 * the move takes. Platform- and partner-level transactions stay on the shared database.
 */
export class PlacementRoutedDatabase extends Database {
  private readonly options: RoutedDatabaseOptions;
  private readonly routes = new TtlCache<TenantRoute>(ROUTE_TTL_MS);
  private readonly isolated = new Map<string, Database>();
  private readonly everyIsolated = new TtlCache<Database[]>(ROUTE_TTL_MS);

  constructor(options: RoutedDatabaseOptions) {
    super(options);
    this.options = options;
  }

  override async withTenant<T>(context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (context.access !== 'tenant' || !context.tenantId || !isUuid(context.tenantId)) return super.withTenant(context, work);
    const route = await this.routeOf(context.tenantId);
    if (route.state === 'moving') {
      throw new ServiceUnavailableError("This tenant's data is being moved to its new placement; nothing was changed. Retry in a few seconds");
    }
    if (route.placement === 'pooled') return super.withTenant(context, work);
    return this.isolatedDatabase(route).withTenant(context, work);
  }

  /** Where a tenant's data is now (from the shared database's `workspaces`, cached). */
  routeOf(tenantId: string): Promise<TenantRoute> {
    return this.routes.get(tenantId, async () => {
      const service = { access: 'platform', tenantId: null, principal: { id: 'service:placement', kind: 'service' } } as const;
      const [row] = await super.withTenant(service, (tx) =>
        tx.query<{ placement: Placement; state: 'ready' | 'moving'; region: string; database_name: string | null }>(
          'SELECT placement, state, region, database_name FROM workspaces WHERE tenant_id = $1',
          [tenantId],
        ),
      );
      return row ? { placement: row.placement, state: row.state, region: row.region, databaseName: row.database_name } : POOLED;
    });
  }

  override async acrossPlacements<R>(
    context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>,
    work: (tx: Tx) => Promise<R[]>,
    tenantIds?: readonly string[],
  ): Promise<R[]> {
    if (context.access !== 'platform') return this.withTenant(context, work);
    const [rows, isolated] = await Promise.all([super.withTenant(context, work), this.isolatedRoutes(context, tenantIds)]);
    const elsewhere = await Promise.all(isolated.map((route) => this.isolatedDatabase(route).withTenant(context, work)));
    return rows.concat(...elsewhere);
  }

  override async perPlacement<R>(
    context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>,
    tenantIds: readonly string[],
    fetch: (tx: Tx, tenantIds: readonly string[]) => Promise<R[]>,
  ): Promise<R[]> {
    if (context.access !== 'platform') return this.withTenant(context, (tx) => fetch(tx, tenantIds));
    const isolated = await this.isolatedRoutes(context, tenantIds);
    const isolatedIds = new Set(isolated.map((route) => route.tenantId));
    const pooled = tenantIds.filter((id) => !isolatedIds.has(id.toLowerCase()));
    const [rows, ...elsewhere] = await Promise.all([
      pooled.length > 0 ? super.withTenant(context, (tx) => fetch(tx, pooled)) : Promise.resolve([]),
      ...isolated.map((route) => this.isolatedDatabase(route).withTenant(context, (tx) => fetch(tx, [route.tenantId]))),
    ]);
    return rows.concat(...elsewhere);
  }

  /** The routes of the isolated tenants (all, or those among `tenantIds`), from the shared database. */
  private async isolatedRoutes(context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>, tenantIds?: readonly string[]): Promise<(TenantRoute & { tenantId: string })[]> {
    const rows = await super.withTenant(context, (tx) =>
      tx.query<{ tenant_id: string; placement: Placement; state: 'ready' | 'moving'; region: string; database_name: string }>(
        `SELECT tenant_id, placement, state, region, database_name FROM workspaces
          WHERE placement = 'isolated' AND state = 'ready' AND ($1::uuid[] IS NULL OR tenant_id = ANY($1::uuid[]))`,
        [tenantIds ? tenantIds.filter(isUuid) : null],
      ),
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, placement: row.placement, state: row.state, region: row.region, databaseName: row.database_name }));
  }

  /** The pools of the isolated tenants' databases opened so far. */
  isolatedDatabases(): ReadonlyMap<string, Database> {
    return this.isolated;
  }

  /**
   * The pools of every isolated tenant's database, as the shared database lists them now (cached
   * for ROUTE_TTL_MS): the worker relays their outboxes too.
   */
  everyIsolatedDatabase(): Promise<Database[]> {
    return this.everyIsolated.get('all', async () => {
      const service = { access: 'platform', tenantId: null, principal: { id: 'service:placement', kind: 'service' } } as const;
      return (await this.isolatedRoutes(service)).map((route) => this.isolatedDatabase(route));
    });
  }

  /**
   * Moves a tenant's rows to `to` (for ISOLATED, its own database in `region`, created and
   * migrated on the spot), as the placement role: see moveTenantRows.
   */
  async changePlacement(tenantId: string, to: Placement, region: string): Promise<{ moved: boolean; rows: MovedRows; databaseName: string | null }> {
    const servers: PlacementServers = {
      sharedUrl: placementUrl(this.options.url, this.options.bindingKey),
      regionServers: this.options.regionServers,
      statementTimeoutMs: this.options.statementTimeoutMs,
    };
    try {
      return await moveTenantRows(servers, this.options.migrations, tenantId, to, region);
    } finally {
      this.forgetRoute(tenantId);
      this.everyIsolated.clear();
    }
  }

  /** Forgets a tenant's cached route (after this replica moved it). */
  forgetRoute(tenantId: string): void {
    this.routes.delete(tenantId);
  }

  override async close(): Promise<void> {
    await Promise.all([...this.isolated.values()].map((db) => db.close()));
    await super.close();
  }

  private isolatedDatabase(route: TenantRoute): Database {
    const name = route.databaseName!;
    let db = this.isolated.get(name);
    if (!db) {
      db = new Database({
        ...this.options,
        url: regionDatabaseUrl(this.options.url, this.options.regionServers, route.region, name),
        poolSize: Math.min(ISOLATED_POOL_SIZE, this.options.poolSize),
      });
      this.isolated.set(name, db);
    }
    return db;
  }
}

/**
 * A service's pool on `url`: placement-routed when the registry says its schema follows each
 * tenant's placement (clinical-ops), a plain one otherwise.
 */
export function servicePool(service: ServiceName, url: string, config: Config, schema?: string): Database {
  const database = SERVICES[service].database as { schema: string; migrations: string } | undefined;
  if (!database) throw new Error(`servicePool: ${service} has no database`);
  const options = { url, schema: schema ?? database.schema, poolSize: config.database.poolSize, bindingKey: resolveBindingKey(config) };
  if (!followsPlacement(service)) return new Database(options);
  return new PlacementRoutedDatabase({
    ...options,
    regionServers: config.database.regionServers,
    migrations: { schema: database.schema, directory: resolvePath(database.migrations) },
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
}

/** Whether the service's schema follows each tenant's placement (the registry's `database.placement`). */
export function followsPlacement(service: ServiceName): boolean {
  return (SERVICES[service]?.database as { placement?: boolean } | undefined)?.placement === true;
}

/** Where the placement role works: the shared database, and the servers of the regions. */
export interface PlacementServers {
  /**
   * A connection string on the shared database of a role that may create databases and assume
   * the owner role: the placement role's (`placementUrl`) or, for seeding, the admin's.
   */
  sharedUrl: string;
  regionServers: Readonly<Record<string, string>>;
  /** The application role's statement timeout (DATABASE_STATEMENT_TIMEOUT_MS), set on each tenant database. */
  statementTimeoutMs: number;
}

/** The server of `region`, connected to with `sharedUrl`'s credentials. */
function regionServerUrl(servers: PlacementServers, region: string): string {
  const configured = servers.regionServers[region];
  if (!configured) return servers.sharedUrl;
  const shared = new URL(servers.sharedUrl);
  const url = new URL(configured);
  url.username = shared.username;
  url.password = shared.password;
  return url.toString();
}

/** The placement role's connection string on the shared database, from the application role's. */
export function placementUrl(appUrl: string, bindingKey: string): string {
  const url = new URL(appUrl);
  url.username = PLACEMENT_ROLE;
  url.password = placementPassword(bindingKey);
  return url.toString();
}

/**
 * Creates the tenant's own database on its region's server when it does not exist, gives it the
 * shared database's binding key and policy helpers, and applies the service's migrations: a
 * database the application role may connect to and nobody else. Safe to run again; returns its name.
 */
export async function ensureTenantDatabase(servers: PlacementServers, set: MigrationSet, region: string, tenantId: string): Promise<string> {
  const name = tenantDatabaseName(servers.sharedUrl, region, tenantId);
  const pads = await withClient(servers.sharedUrl, async (client) => {
    const { rows } = await ownerQuery<{ inner_pad: Buffer; outer_pad: Buffer }>(client, SHARED_SCHEMA, `SELECT inner_pad, outer_pad FROM binding_key`, []);
    if (!rows[0]) throw new Error('the shared database has no binding key: run npm run migrate');
    return { inner: rows[0].inner_pad, outer: rows[0].outer_pad };
  });
  await withClient(regionServerUrl(servers, region), async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length > 0) return;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (error) {
      // Another replica created it meanwhile (42P04), or its catalog insert raced ours (23505).
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  });
  const tenantUrl = regionDatabaseUrl(servers.sharedUrl, servers.regionServers, region, name);
  await withClient(tenantUrl, async (client) => {
    const database = client.escapeIdentifier(name);
    const timeout = Math.trunc(servers.statementTimeoutMs);
    // As on the shared database, the application role's runaway statements are stopped (per
    // database here: the placement role may not alter another role's settings).
    await client.query(
      `REVOKE ALL ON DATABASE ${database} FROM PUBLIC; GRANT CONNECT ON DATABASE ${database} TO ${APP_ROLE};
       ALTER DATABASE ${database} SET statement_timeout = ${timeout};
       ALTER DATABASE ${database} SET idle_in_transaction_session_timeout = ${timeout}`,
    );
    await installSharedSchema(client, pads);
  });
  await migrate(tenantUrl, set);
  return name;
}

/** The margin a move waits past the route lifetime, for a route read just before the mark. */
const ROUTE_SETTLE_MS = 500;

export interface MoveOptions {
  /** How long replicas may serve a cached route (default ROUTE_TTL_MS); 0 where nothing serves the tenant yet. */
  routeTtlMs?: number;
  /** The margin past it (default 500 ms). */
  settleMs?: number;
}

/** What a move carried: rows per table, equal on both sides (or the move is rolled back). */
export type MovedRows = Record<string, number>;

/**
 * Moves a tenant's rows of `set.schema` to `to`: marks it moving, waits out the replicas' route
 * caches, then, in one transaction on each side, takes the tenant's rows out of the source
 * (DELETE … RETURNING, so that nothing written before is missed) and writes them into the target,
 * checks the counts per table, commits the target, then the source with the new route. A crash
 * before the source commits leaves the source as it was (a re-run replaces the target's copy); a
 * mismatch rolls both back. Running it for a tenant already there changes nothing.
 */
export async function moveTenantRows(
  servers: PlacementServers,
  set: MigrationSet,
  tenantId: string,
  to: Placement,
  region: string,
  options: MoveOptions = {},
): Promise<{ moved: boolean; rows: MovedRows; databaseName: string | null }> {
  // One move of a tenant at a time, whichever replica runs it.
  const lock = await connectClient(servers.sharedUrl);
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`caregraph:placement:${tenantId}`]);
    return await moveLocked(servers, set, tenantId, to, region, options);
  } finally {
    await lock.end();
  }
}

async function moveLocked(
  servers: PlacementServers,
  set: MigrationSet,
  tenantId: string,
  to: Placement,
  region: string,
  options: MoveOptions,
): Promise<{ moved: boolean; rows: MovedRows; databaseName: string | null }> {
  const name = tenantDatabaseName(servers.sharedUrl, region, tenantId);
  const current = await withClient(servers.sharedUrl, async (client) => {
    const { rows } = await ownerQuery<{ placement: Placement; state: string; database_name: string | null; region: string }>(
      client,
      set.schema,
      'SELECT placement, state, database_name, region FROM workspaces WHERE tenant_id = $1',
      [tenantId],
    );
    return rows[0];
  });
  const from: Placement = current?.placement ?? 'pooled';
  if (from === to && current?.state !== 'moving') return { moved: false, rows: {}, databaseName: current?.database_name ?? null };
  if (to === 'isolated') await ensureTenantDatabase(servers, set, region, tenantId);
  const isolatedName = to === 'isolated' ? name : current!.database_name!;
  const isolatedRegion = to === 'isolated' ? region : current!.region;
  const isolatedUrl = regionDatabaseUrl(servers.sharedUrl, servers.regionServers, isolatedRegion, isolatedName);

  await withClient(servers.sharedUrl, (client) =>
    ownerQuery(
      client,
      set.schema,
      `INSERT INTO workspaces (tenant_id, placement, region, database_name, state) VALUES ($1, $2, $3, $4, 'moving')
       ON CONFLICT (tenant_id) DO UPDATE SET state = 'moving', database_name = excluded.database_name, updated_at = now()`,
      [tenantId, from, isolatedRegion, isolatedName],
    ),
  );
  // Every replica now refuses the tenant's transactions within one route lifetime; the margin
  // covers a route read just before the mark.
  await new Promise((resolve) => setTimeout(resolve, (options.routeTtlMs ?? ROUTE_TTL_MS) + (options.settleMs ?? ROUTE_SETTLE_MS)));

  const [source, target, route] = (await connectClients([
    from === 'pooled' ? servers.sharedUrl : isolatedUrl,
    to === 'pooled' ? servers.sharedUrl : isolatedUrl,
    servers.sharedUrl,
  ])) as [pg.Client, pg.Client, pg.Client];
  try {
    const tables = await tenantTables(source, set.schema);
    for (const client of [source, target]) await beginAsOwner(client, set.schema);
    const rows: MovedRows = {};
    const taken = new Map<string, unknown[]>();
    // Children before parents out of the source, parents before children into the target.
    for (const table of [...tables].reverse()) {
      const result = await source.query<{ row: unknown }>(`DELETE FROM ${source.escapeIdentifier(table.name)} t WHERE tenant_id = $1 RETURNING to_jsonb(t) AS row`, [tenantId]);
      taken.set(table.name, result.rows.map((r) => r.row));
    }
    for (const table of [...tables].reverse()) await target.query(`DELETE FROM ${target.escapeIdentifier(table.name)} WHERE tenant_id = $1`, [tenantId]);
    for (const table of tables) {
      const ident = target.escapeIdentifier(table.name);
      const values = taken.get(table.name)!;
      rows[table.name] = values.length;
      if (values.length > 0) {
        // Identity columns are numbered per database: the target numbers the rows anew rather
        // than collide with its own (no foreign key may point at one, see tenantTables).
        const columns = table.columns.map((column) => target.escapeIdentifier(column)).join(', ');
        await target.query(`INSERT INTO ${ident} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${ident}, $1::jsonb)`, [JSON.stringify(values)]);
      }
      const [{ n }] = (await target.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident} WHERE tenant_id = $1`, [tenantId])).rows as [{ n: number }];
      if (n !== values.length) throw new Error(`placement move of ${set.schema}.${table.name}: ${values.length} rows taken, ${n} written; nothing was moved`);
    }
    await target.query('COMMIT');
    await source.query('COMMIT');
    await ownerQuery(
      route,
      set.schema,
      `UPDATE workspaces SET placement = $2, state = 'ready', database_name = $3, region = $4, moved_rows = $5, updated_at = now() WHERE tenant_id = $1`,
      [tenantId, to, to === 'isolated' ? isolatedName : null, isolatedRegion, JSON.stringify(rows)],
    );
    return { moved: true, rows, databaseName: to === 'isolated' ? isolatedName : null };
  } catch (error) {
    await Promise.all([source.query('ROLLBACK').catch(() => undefined), target.query('ROLLBACK').catch(() => undefined)]);
    throw error;
  } finally {
    await Promise.all([source.end(), target.end(), route.end()]);
  }
}

interface TenantTable {
  name: string;
  /** The columns a move copies: all but identity and generated ones. */
  columns: string[];
}

/**
 * The schema's tables of tenant data (a `tenant_id` column, not the machinery), parents before
 * children along their foreign keys.
 */
async function tenantTables(client: pg.Client, schema: string): Promise<TenantTable[]> {
  const { rows } = await client.query<{ name: string; columns: string[]; referenced_identity: boolean; parents: string[] }>(
    `SELECT c.relname AS name,
            (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = '') AS columns,
            EXISTS (SELECT 1 FROM pg_constraint f JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = ANY (f.confkey)
                     WHERE f.confrelid = c.oid AND f.contype = 'f' AND a.attidentity <> '') AS referenced_identity,
            coalesce((SELECT array_agg(DISTINCT p.relname::text) FROM pg_constraint f JOIN pg_class p ON p.oid = f.confrelid
                       WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '{}') AS parents
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r'
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY c.relname`,
    [schema],
  );
  const tables = rows.filter((row) => !MACHINERY_TABLES.has(row.name));
  const renumbered = tables.find((table) => table.referenced_identity);
  if (renumbered) throw new Error(`tenantTables: ${schema}.${renumbered.name} has an identity column a foreign key points at; a move would renumber it`);
  const names = new Set(tables.map((table) => table.name));
  const ordered: TenantTable[] = [];
  const placed = new Set<string>();
  while (ordered.length < tables.length) {
    const ready = tables.filter((table) => !placed.has(table.name) && table.parents.every((parent) => placed.has(parent) || !names.has(parent)));
    if (ready.length === 0) throw new Error(`tenantTables: the foreign keys of ${schema} form a cycle`);
    for (const table of ready) {
      placed.add(table.name);
      ordered.push({ name: table.name, columns: table.columns });
    }
  }
  return ordered;
}

async function beginAsOwner(client: pg.Client, schema: string): Promise<void> {
  await client.query(`BEGIN; SET LOCAL ROLE ${OWNER_ROLE}; SET LOCAL search_path TO ${client.escapeIdentifier(schema)}, public`);
}

async function ownerQuery<R extends pg.QueryResultRow>(client: pg.Client, schema: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  await beginAsOwner(client, schema);
  try {
    const result = await client.query<R>(text, values);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectClient(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
