/**
 * The application-role connection pool of one service, and the only way requests reach
 * the database: `withTenant` runs work in a transaction pinned to the request's tenant.
 */
import pg from 'pg';
import { isUuid } from '../ids.js';
import type { TenantContext } from '../tenant-context.js';
import { APP_ROLE } from './roles.js';

export interface DatabaseOptions {
  /** Connection string of the application role (see `appUrl`). */
  url: string;
  /** The subgraph's schema, put first on the search path. */
  schema: string;
  poolSize: number;
}

/** A transaction handle: every statement goes through `query`, which counts it. */
export interface Tx {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

export class Database {
  private readonly pool: pg.Pool;
  /** SQL statements sent since start (the N+1 tests and the benchmark read it). */
  statementCount = 0;

  constructor(options: DatabaseOptions) {
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
   * Runs `work` in one transaction as the application role, with row-level security pinned
   * to the context's tenant (or opened to every tenant for platform-level access). The
   * prelude is one round trip; values are validated before they are inlined.
   */
  async withTenant<T>(context: Pick<TenantContext, 'access' | 'tenantId' | 'principal'>, work: (tx: Tx) => Promise<T>): Promise<T> {
    const tenantId = context.access === 'tenant' ? context.tenantId : '';
    const partnerId = context.access === 'partner' ? context.principal.partnerId : '';
    if (context.access === 'tenant' && !isUuid(tenantId)) {
      throw new Error('withTenant: tenant access needs a tenant id');
    }
    if (context.access === 'partner' && !isUuid(partnerId)) {
      throw new Error('withTenant: partner access needs a partner id');
    }
    const client = await this.pool.connect();
    let broken = false;
    try {
      this.statementCount += 3;
      await client.query(
        `BEGIN; SET LOCAL ROLE ${APP_ROLE}; ` +
          `SELECT set_config('caregraph.tenant_id', '${tenantId}', true), set_config('caregraph.partner_id', '${partnerId}', true), ` +
          `set_config('caregraph.access', '${context.access}', true)`,
      );
      const tx: Tx = {
        query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
          this.statementCount += 1;
          return (await client.query<R>(text, values)).rows;
        },
      };
      const result = await work(tx);
      this.statementCount += 1;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Closes the pool; closing twice is harmless. */
  async close(): Promise<void> {
    if (this.pool.ending) return;
    await this.pool.end();
  }
}
