/**
 * pg-boss's part of `npm run migrate`: its schema, installed or migrated by the owner role, the
 * declared queues with their dead-letter queues and event subscriptions, and the application
 * role's grants — exactly what pg-boss 12 needs at run time, found by running it as that role:
 * it reads the schema version and queues, claims maintenance intervals (four timestamp columns of
 * `version`), refreshes queue statistics, and writes jobs, job dependencies and its instance
 * registry. It gets nothing else: no CREATE on the schema, no ownership, no TRUNCATE, no write to
 * the schema version or the background-migration table, and no call of the functions that
 * create or drop queues and tables. The tenant job holds every worker checks (holds.ts) are created
 * here too, beside pg-boss's schema: they belong to the job runtime, not to one domain.
 */
import type pg from 'pg';
import { connectClient } from '../db/client.js';
import type { PgBoss } from 'pg-boss';
import { APP_ROLE, OWNER_ROLE } from '../db/roles.js';
import { PGBOSS_SCHEMA, startOwnerBoss } from './boss.js';
import { JOB_HOLDS_DDL } from './holds.js';
import { DEAD_LETTER_RETENTION_SECONDS, deadLetterOf, type QueueDeclaration } from './queues.js';

const DUPLICATE_SCHEMA_CODES = new Set(['42P06', '23505']);

/** Table privileges of the application role; a table not named here gets none. */
const RUNTIME_GRANTS: Readonly<Record<string, string>> = Object.freeze({
  version: 'SELECT, UPDATE (cron_on, flow_on, reindex_on, monitor_backoff_on)',
  queue: 'SELECT, UPDATE',
  subscription: 'SELECT',
  job: 'SELECT, INSERT, UPDATE, DELETE',
  job_dependency: 'SELECT, INSERT, UPDATE, DELETE',
  instance: 'SELECT, INSERT, UPDATE, DELETE',
});

/** Functions that create, alter or drop tables: for the owner only. */
const OWNER_FUNCTIONS = ['create_queue', 'delete_queue', 'job_table_run', 'job_table_run_async', 'job_table_format'];

/**
 * Installs or migrates pg-boss, declares `queues`, and grants the application role its runtime
 * privileges; safe to run repeatedly and concurrently. Answers what changed (`pgboss/v<N>` when
 * the schema was installed or migrated, `pgboss/<queue>` for each queue created).
 */
export async function migratePgBoss(adminUrl: string, queues: readonly QueueDeclaration[]): Promise<string[]> {
  const admin = await connectClient(adminUrl);
  try {
    await createSchema(admin);
    const before = await schemaVersion(admin);
    const boss = await startOwnerBoss(adminUrl);
    let created: string[];
    try {
      created = await declareQueues(boss, queues);
    } finally {
      await boss.stop({ graceful: false });
    }
    const after = await schemaVersion(admin);
    await grantRuntimePrivileges(admin);
    return [...(before === after ? [] : [`${PGBOSS_SCHEMA}/v${after}`]), ...created.map((name) => `${PGBOSS_SCHEMA}/${name}`)];
  } finally {
    await admin.end();
  }
}

/**
 * Creates each queue and its dead-letter queue, or brings an existing one to its declaration, and
 * makes its event subscriptions exactly the declared ones. Answers the queues created now.
 */
export async function declareQueues(boss: PgBoss, queues: readonly QueueDeclaration[]): Promise<string[]> {
  const created: string[] = [];
  for (const queue of queues) {
    const dead = deadLetterOf(queue.name);
    // The dead-letter queue first: the queue's row references it.
    const deadOptions = { retryLimit: 0, retentionSeconds: DEAD_LETTER_RETENTION_SECONDS, deleteAfterSeconds: DEAD_LETTER_RETENTION_SECONDS };
    if (await boss.getQueue(dead)) await boss.updateQueue(dead, deadOptions);
    else created.push(await create(boss, dead, deadOptions));
    const options = {
      retryLimit: queue.retryLimit,
      retryDelay: queue.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: queue.retryDelayMaxSeconds,
      expireInSeconds: queue.expireInSeconds,
      retentionSeconds: queue.retentionSeconds,
      deadLetter: dead,
    };
    if (await boss.getQueue(queue.name)) await boss.updateQueue(queue.name, options);
    else created.push(await create(boss, queue.name, options));
    for (const event of queue.events) await boss.subscribe(event, queue.name);
    await unsubscribeOthers(boss, queue);
  }
  return created;
}

/** createQueue (a no-op when a concurrent migrator created it first); answers the name. */
async function create(boss: PgBoss, name: string, options: Parameters<PgBoss['createQueue']>[1]): Promise<string> {
  await boss.createQueue(name, options);
  return name;
}

async function unsubscribeOthers(boss: PgBoss, queue: QueueDeclaration): Promise<void> {
  const { rows } = await boss.getDb().executeSql(`SELECT event FROM ${PGBOSS_SCHEMA}.subscription WHERE name = $1`, [queue.name]);
  for (const { event } of rows as { event: string }[]) {
    if (!queue.events.includes(event)) await boss.unsubscribe(event, queue.name);
  }
}

async function createSchema(admin: pg.Client): Promise<void> {
  try {
    // Created by the admin (the owner role cannot create schemas in the database), owned by the owner.
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${PGBOSS_SCHEMA} AUTHORIZATION ${OWNER_ROLE}`);
  } catch (error) {
    if (!DUPLICATE_SCHEMA_CODES.has((error as { code?: string }).code ?? '')) throw error;
  }
}

async function schemaVersion(admin: pg.Client): Promise<number | null> {
  const { rows } = await admin.query<{ exists: string | null }>(`SELECT to_regclass('${PGBOSS_SCHEMA}.version')::text AS exists`);
  if (!rows[0]?.exists) return null;
  const version = await admin.query<{ version: number }>(`SELECT version FROM ${PGBOSS_SCHEMA}.version`);
  return version.rows[0]?.version ?? null;
}

/**
 * Rewrites the application role's privileges on the schema from RUNTIME_GRANTS, so a rerun
 * converges whatever an earlier version granted. Every partition of `job` (pg-boss's shared
 * `job_common`, and the own table of a queue created with `partition: true`) gets `job`'s.
 */
async function grantRuntimePrivileges(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = '${PGBOSS_SCHEMA}.job'::regclass`,
  );
  const grants = { ...RUNTIME_GRANTS, ...Object.fromEntries(rows.map(({ name }) => [name, RUNTIME_GRANTS.job!])) };
  const statements = [
    `REVOKE ALL ON SCHEMA ${PGBOSS_SCHEMA} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${PGBOSS_SCHEMA} TO ${APP_ROLE}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${PGBOSS_SCHEMA} FROM PUBLIC, ${APP_ROLE}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${PGBOSS_SCHEMA} FROM PUBLIC, ${APP_ROLE}`,
    ...Object.entries(grants).map(([table, privileges]) => `GRANT ${privileges} ON ${PGBOSS_SCHEMA}.${admin.escapeIdentifier(table)} TO ${APP_ROLE}`),
    `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${PGBOSS_SCHEMA} FROM PUBLIC`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${PGBOSS_SCHEMA} TO ${APP_ROLE}`,
  ];
  await admin.query(`BEGIN; SET LOCAL ROLE ${OWNER_ROLE}`);
  try {
    // One migrator at a time: concurrent GRANT/REVOKE on the same objects can fail with "tuple concurrently updated".
    await admin.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['caregraph:pgboss-grants']);
    for (const statement of statements) await admin.query(statement);
    // The tenant job holds every worker checks (holds.ts): the job runtime's own table, beside pg-boss's.
    await admin.query(JOB_HOLDS_DDL);
    const { rows: owned } = await admin.query<{ signature: string }>(
      `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
        WHERE p.pronamespace = '${PGBOSS_SCHEMA}'::regnamespace AND p.proname = ANY($1)`,
      [OWNER_FUNCTIONS],
    );
    for (const { signature } of owned) await admin.query(`REVOKE EXECUTE ON FUNCTION ${signature} FROM ${APP_ROLE}`);
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK');
    throw error;
  }
}
