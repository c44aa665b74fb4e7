/**
 * pg-boss in the platform's own PostgreSQL, in schema `pgboss`: installed and migrated by the
 * owner role with the other migrations (migrate.ts), used at run time by the application role
 * with `migrate: false`, so a service can queue and work jobs but never change the schema.
 */
import { PgBoss, type ConstructorOptions, type Db } from 'pg-boss';
import type { Tx } from '../db/index.js';
import { OWNER_ROLE } from '../db/roles.js';
import type { Logger } from '../logger.js';

export const PGBOSS_SCHEMA = 'pgboss';

/**
 * Intervals of pg-boss's own upkeep. `supervise` expires jobs whose worker went away (a crash,
 * `kill -9`) so they are retried: a job lost that way waits its queue's expiry plus up to
 * `monitorIntervalSeconds` before it runs again.
 */
export interface BossTuning {
  supervise: boolean;
  superviseIntervalSeconds: number;
  monitorIntervalSeconds: number;
}

export const DEFAULT_TUNING: Readonly<BossTuning> = Object.freeze({ supervise: true, superviseIntervalSeconds: 30, monitorIntervalSeconds: 30 });

/**
 * A started pg-boss connected as the application role. It neither installs nor migrates (a schema
 * of another version stops it with pg-boss's own message), keeps no schedules and never rebuilds
 * indexes (that is DDL, the owner's job).
 */
export async function startAppBoss(
  url: string,
  options: {
    logger: Logger;
    poolSize: number;
    tuning?: Partial<BossTuning>;
    /**
     * True once the process is stopping: the server going away is then expected (Ctrl-C reaches
     * PostgreSQL too), and its errors are logged at debug instead of error.
     */
    stopping?: () => boolean;
  },
): Promise<PgBoss> {
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const boss = new PgBoss({
    connectionString: url,
    schema: PGBOSS_SCHEMA,
    max: options.poolSize,
    migrate: false,
    createSchema: false,
    schedule: false,
    reindex: false,
    // The queues' ready counts, which burst fetching (worker.ts) reads, refreshed every 5 s
    // rather than every minute: one small statement per process.
    queueCacheIntervalSeconds: 5,
    ...tuning,
  } satisfies ConstructorOptions);
  logBossEvents(boss, options.logger, options.stopping);
  await boss.start();
  return boss;
}

/**
 * A pg-boss connected as the owner role (the admin connection assumes it for the session, as the
 * migrations runner does per transaction): installs or migrates the schema on start.
 */
export async function startOwnerBoss(adminUrl: string, logger?: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: adminUrl,
    options: `-c role=${OWNER_ROLE}`,
    schema: PGBOSS_SCHEMA,
    max: 2,
    migrate: true,
    createSchema: false,
    supervise: false,
    schedule: false,
    registerInstance: false,
  } satisfies ConstructorOptions);
  logBossEvents(boss, logger);
  await boss.start();
  return boss;
}

/**
 * pg-boss statements run in the caller's transaction: a job sent through it exists only if the
 * transaction commits. pg-boss issues some together (`publish` sends to every queue subscribed to
 * the event at once); the transaction handle sends them one after the other (clientTx).
 */
export function inTransaction(tx: Tx): Db {
  return { executeSql: async (text, values) => ({ rows: await tx.query(text, values) }) };
}

/** Errors of a connection the server ended or refused: what a stopping database gives its clients. */
export function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (typeof code === 'string' && ['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code)) ||
    /Connection terminated|connection to the database closed/i.test(message)
  );
}

/**
 * How long a lost connection waits before it is reported: Ctrl-C reaches PostgreSQL and the
 * (niced) workers at once, and the server may end their connections before a worker has even
 * handled its signal. Lost while stopping, it is no failure.
 */
export const CONNECTION_LOSS_GRACE_MS = 500;

/**
 * What pg-boss's 'error' events become: an error line, or for a connection the server ended,
 * the same line only if the process is not stopping by the end of the grace period (a debug
 * line otherwise).
 */
export function bossErrorReporter(logger: Pick<Logger, 'error' | 'debug'> | undefined, stopping: () => boolean = () => false): (error: Error) => void {
  return (error) => {
    const fields = { err: { message: error.message, code: (error as { code?: string }).code } };
    if (!isConnectionLoss(error)) return logger?.error(fields, 'pg-boss error');
    setTimeout(() => {
      if (stopping()) logger?.debug(fields, 'pg-boss lost its connection while stopping');
      else logger?.error(fields, 'pg-boss error');
    }, CONNECTION_LOSS_GRACE_MS).unref();
  };
}

function logBossEvents(boss: PgBoss, logger: Logger | undefined, stopping?: () => boolean): void {
  // An 'error' event nobody listens to would crash the process; these are pg-boss's own
  // background failures (a fetch or maintenance pass), retried on its next interval.
  boss.on('error', bossErrorReporter(logger, stopping));
  boss.on('warning', (warning) => logger?.warn({ pgBoss: warning.data }, warning.message));
}
