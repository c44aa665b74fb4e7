/**
 * pg-boss migrated with the rest, as the owner role: the application role can run every job
 * operation the platform uses and change nothing in the schema; declaring queues is idempotent
 * and converges subscriptions.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient, adminUrl, appClient } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD } from '../../test/support/env.js';
import { appUrl } from '../db/index.js';
import { createLogger } from '../logger.js';
import { PGBOSS_SCHEMA, startAppBoss } from './boss.js';
import { migratePgBoss } from './migrate.js';
import { defineQueue, deadLetterOf } from './queues.js';
import { declareTestQueues, uniqueSuffix, waitFor } from './test-support.js';

const suffix = uniqueSuffix();
const queue = defineQueue({ name: `migratetest-${suffix}.work`, retryLimit: 1, retryDelaySeconds: 1, retryDelayMaxSeconds: 1, expireInSeconds: 1 });
let admin: pg.Client;
let dropQueues: () => Promise<void>;

beforeAll(async () => {
  admin = await adminClient();
  dropQueues = await declareTestQueues(adminUrl(), [{ ...queue, events: ['clinical-ops.break-glass.declared'] }]);
});
afterAll(async () => {
  await dropQueues?.();
  await admin?.end();
});

/** Runs `sql` as the application role on a connection of its own; answers the error it raised. */
async function asApp(sql: string): Promise<{ code?: string } | undefined> {
  const app = await appClient();
  try {
    await app.query(sql);
    return undefined;
  } catch (error) {
    return error as { code?: string };
  } finally {
    await app.end();
  }
}

describe('pg-boss schema', () => {
  it('belongs to the owner role, and the migration is a no-op when nothing changed', async () => {
    const { rows } = await admin.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = '${PGBOSS_SCHEMA}'::regnamespace
       UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '${PGBOSS_SCHEMA}'`,
    );
    expect(rows).toEqual([{ owner: 'caregraph_owner' }]);
    expect(await migratePgBoss(adminUrl(), [{ ...queue, events: ['clinical-ops.break-glass.declared'] }])).toEqual([]);
  });

  it('declares a dead-letter queue per queue, and keeps subscriptions to the declared ones', async () => {
    const { rows } = await admin.query<{ name: string; dead_letter: string | null; retry_backoff: boolean; retry_delay_max: number }>(
      `SELECT name, dead_letter, retry_backoff, retry_delay_max FROM ${PGBOSS_SCHEMA}.queue WHERE name = ANY($1) ORDER BY name`,
      [[queue.name, deadLetterOf(queue.name)]],
    );
    expect(rows).toEqual([
      { name: queue.name, dead_letter: deadLetterOf(queue.name), retry_backoff: true, retry_delay_max: 1 },
      { name: deadLetterOf(queue.name), dead_letter: null, retry_backoff: false, retry_delay_max: null },
    ]);
    const subscriptions = () => admin.query(`SELECT event FROM ${PGBOSS_SCHEMA}.subscription WHERE name = $1`, [queue.name]);
    expect((await subscriptions()).rows).toEqual([{ event: 'clinical-ops.break-glass.declared' }]);
    await migratePgBoss(adminUrl(), [queue]);
    expect((await subscriptions()).rows).toEqual([]);
  });
});

describe('the application role on the pg-boss schema', () => {
  it.each([
    ['create a table', `CREATE TABLE ${PGBOSS_SCHEMA}.probe (id int)`],
    ['create a function', `CREATE FUNCTION ${PGBOSS_SCHEMA}.probe() RETURNS int LANGUAGE sql AS 'SELECT 1'`],
    ['alter a table', `ALTER TABLE ${PGBOSS_SCHEMA}.job ADD COLUMN probe int`],
    ['drop a table', `DROP TABLE ${PGBOSS_SCHEMA}.queue`],
    ['truncate the jobs', `TRUNCATE ${PGBOSS_SCHEMA}.job_common`],
    ['create a queue with a table of its own', `SELECT ${PGBOSS_SCHEMA}.create_queue('probe', '{"partition": true}')`],
    ['create or delete queues', `DELETE FROM ${PGBOSS_SCHEMA}.queue`],
    ['subscribe a queue to events', `INSERT INTO ${PGBOSS_SCHEMA}.subscription (event, name) VALUES ('x.y.z', 'probe')`],
    ['rewrite the schema version', `UPDATE ${PGBOSS_SCHEMA}.version SET version = version - 1`],
    ['queue a background migration', `INSERT INTO ${PGBOSS_SCHEMA}.bam (name, version, table_name, command) VALUES ('x', 1, 'job', 'DROP TABLE queue')`],
  ])('cannot %s', async (_, sql) => {
    expect(await asApp(sql)).toMatchObject({ code: '42501' });
  });

  it('can do all a worker does: send in a transaction, publish, fetch, fail, retry, dead-letter, complete, supervise', async () => {
    const errors: Error[] = [];
    const boss = await startAppBoss(appUrl(adminUrl(), TEST_APP_PASSWORD), {
      logger: createLogger('migrate-test', 'silent'),
      poolSize: 2,
      tuning: { supervise: false },
    });
    boss.on('error', (error) => errors.push(error));
    const app = await appClient();
    try {
      const id = randomUUID();
      await app.query('BEGIN');
      await boss.send(queue.name, { probe: 1 }, { id, db: { executeSql: (text, values) => app.query(text, values) }, group: { id: 'probe', tier: 'standard' } });
      await app.query('COMMIT');
      await boss.publish('migrate-test.probe.sent', { probe: 2 });
      const [first] = await boss.fetch(queue.name, { groupConcurrency: { default: 1 } });
      expect(first?.id).toBe(id);
      await boss.fail(queue.name, first!, { message: 'probe' });
      await boss.supervise(queue.name);
      const retried = await waitFor('the retry', async () => (await boss.fetch(queue.name))[0]);
      await boss.fail(queue.name, retried, { message: 'probe again' });
      const dead = await waitFor('the dead letter', async () => (await boss.fetch(deadLetterOf(queue.name)))[0]);
      await boss.complete(deadLetterOf(queue.name), dead);
      await boss.supervise();
      expect(errors).toEqual([]);
    } finally {
      await app.end();
      await boss.stop({ graceful: false });
    }
  });
});
