/**
 * The application-role connection pool of one service, and the only way requests reach
 * the database: `withTenant` runs work in a transaction bound to the request's tenant.
 */
import { createHmac } from 'node:crypto';
import pg from 'pg';
import { ServiceUnavailableError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { TenantContext } from '../tenant-context.js';
import { BINDING_TTL_SECONDS, signBinding, type BindingAccess } from './binding.js';
import { APP_ROLE } from './roles.js';

export interface DatabaseOptions {
  /** Connection string of the application role (see `applicationUrl`). */
  url: string;
  /** The subgraph's schema, put first on the search path. */
  schema: string;
  poolSize: number;
  /** Key of the tenant bindings; must be the one `ensureRoles` stored (see binding.ts). */
  bindingKey: string;
}

const ACCESS_LEVELS: ReadonlySet<string> = new Set<BindingAccess>(['tenant', 'platform', 'partner']);

/** A transaction handle: every statement goes through `query`, which counts it. */
export interface Tx {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

/**
 * `client` as a transaction handle whose statements go one after the other, in call order:
 * callers may issue several at once (Promise.all), and a connection takes one statement at a
 * time (node-postgres queues them today and refuses them from pg 9). `onStatement` counts them.
 */
export function clientTx(client: pg.ClientBase, onStatement: () => void = () => undefined): Tx {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
      const run = previous.then(() => {
        onStatement();
        return client.query<R>(text, values);
      });
      previous = run.catch(() => undefined);
      return run.then((result) => result.rows);
    },
  };
}

export class Database {
  private readonly pool: pg.Pool;
  private readonly bindingKey: string;
  /** SQL statements sent since start (the N+1 tests and the benchmark read it). */
  statementCount = 0;

  constructor(options: DatabaseOptions) {
    this.bindingKey = options.bindingKey;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      options: `-c search_path=${options.schema},public`,
      application_name: `caregraph-${options.schema}`,
    });
    // An idle client that loses its server must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  /**
   * A key for one purpose (`audit`: the audit log's chain), derived from the binding key as
   * HMAC(binding key, `caregraph:<purpose>`): what the services hold and no database role does,
   * never the binding key itself.
   */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', this.bindingKey).update(`caregraph:${purpose}`).digest();
  }

  /**
   * Runs `work` in one transaction as the application role, with row-level security bound
   * to the context's tenant (or opened to every tenant for platform-level access) by a
   * binding signed for this connection (see binding.ts). The prelude is one round trip;
   * values are validated before they are inlined.
   */
  async withTenant<T>(context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>, work: (tx: Tx) => Promise<T>): Promise<T> {
    const tenantId = (context.access === 'tenant' ? context.tenantId : '') ?? '';
    const partnerId = (context.access === 'partner' ? context.principal.partnerId : '') ?? '';
    if (!ACCESS_LEVELS.has(context.access)) throw new Error('withTenant: unknown access level');
    if (context.access === 'tenant' && !isUuid(tenantId)) {
      throw new Error('withTenant: tenant access needs a tenant id');
    }
    if (context.access === 'partner' && !isUuid(partnerId)) {
      throw new Error('withTenant: partner access needs a partner id');
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailableOr(error);
    }
    let broken = false;
    // A checked-out client has no pool listener: without this, a connection the server ends
    // (idle-in-transaction timeout, terminate, network) would crash the process. The pending
    // query rejects on its own; the client is discarded on release.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      const binding = signBinding(this.bindingKey, {
        access: context.access,
        tenantId,
        partnerId,
        pid: backendPid(client),
        expiresAt: Math.floor(Date.now() / 1000) + BINDING_TTL_SECONDS,
      });
      this.statementCount += 3;
      await client.query(`BEGIN; SET LOCAL ROLE ${APP_ROLE}; SELECT set_config('caregraph.binding', '${binding}', true)`);
      const tx = clientTx(client, () => {
        this.statementCount += 1;
      });
      const result = await work(tx);
      this.statementCount += 1;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw unavailableOr(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * Platform-level `work` wherever tenants' rows live, its rows concatenated. One database here;
   * a placement-routed pool (tenant-databases.ts) also visits every isolated tenant's database
   * (or, with `tenantIds`, those tenants'). Reads that must see every tenant go through it.
   */
  acrossPlacements<R>(context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>, work: (tx: Tx) => Promise<R[]>, _tenantIds?: readonly string[]): Promise<R[]> {
    return this.withTenant(context, work);
  }

  /**
   * Platform-level `fetch` of rows keyed by tenant: one call here; a placement-routed pool calls
   * it once on the shared database with the pooled tenants' ids and once per isolated tenant, in
   * its own database, with that tenant's id alone.
   */
  perPlacement<R>(
    context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>,
    tenantIds: readonly string[],
    fetch: (tx: Tx, tenantIds: readonly string[]) => Promise<R[]>,
  ): Promise<R[]> {
    return this.withTenant(context, (tx) => fetch(tx, tenantIds));
  }

  /**
   * Checks once, at start, that the database accepts this pool's credentials and bindings, so
   * that a wrong password or binding key stops the service with a message instead of failing
   * every request.
   */
  async verify(): Promise<void> {
    const service = { access: 'platform', tenantId: null, principal: { id: 'service:start', kind: 'service' } } as const;
    try {
      await this.withTenant(service, (tx) => tx.query('SELECT caregraph.platform_access()'));
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      if (code === '42501' && /forged/.test(message)) {
        throw new Error(
          'the database holds another binding key: give this service the DATABASE_BINDING_KEY (or data folder) that ran the migrations',
          { cause: error },
        );
      }
      if (code === '28P01') throw new Error(`the database refused the application role's credentials (${message})`, { cause: error });
      throw error;
    }
  }

  /** Closes the pool; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.pool.ending) return;
    await this.pool.end();
  }
}

/** The server process of a pooled connection, which bindings are tied to. */
function backendPid(client: pg.PoolClient): number {
  // node-postgres keeps it (from BackendKeyData, for cancel requests) but @types/pg does not declare it.
  const pid = (client as unknown as { processID?: unknown }).processID;
  if (typeof pid !== 'number' || pid <= 0) throw new Error('withTenant: the connection has no backend pid (a transaction-mode pooler in between?)');
  return pid;
}

/**
 * SQLSTATEs of a server that is gone or going: connection exceptions (class 08), and the
 * server shutting down, crashed or still starting (57P01–57P03).
 */
const CONNECTION_LOST_STATE = /^(08...|57P0[123])$/;
/** Socket errors of a server that cannot be reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres's own words for a connection lost or not made in time (these carry no code). */
const LOST_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * SERVICE_UNAVAILABLE for a database that cannot be reached or went away mid-transaction
 * (rolled back: nothing was written), so the client learns to retry rather than that
 * something broke; any other error as it is.
 */
export function unavailableOr(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const lost = typeof code === 'string' ? CONNECTION_LOST_STATE.test(code) || UNREACHABLE.has(code) : LOST_MESSAGE.test(error.message);
  return lost ? new ServiceUnavailableError('The database is unavailable; nothing was changed. Retry in a few seconds') : error;
}
