/**
 * The relay: moves a service's committed outbox rows to pg-boss. One transaction takes a batch of
 * unrelayed rows (FOR UPDATE SKIP LOCKED, so relays of several worker replicas share the work),
 * publishes each to every queue subscribed to its type — inside that same transaction, through
 * pg-boss's `db` option — and marks them relayed. A crash anywhere rolls all three back and the
 * rows are taken again, so every committed event is queued; consumers are idempotent by event id
 * for the redeliveries at-least-once allows.
 *
 * Each event is signed like any job (the relay holds the job key), so a consumer can tell it from
 * a row written into a queue by hand. A row that no longer matches the catalogue is marked with
 * its error instead of blocking the rows behind it.
 */
import type { PgBoss } from 'pg-boss';
import type { Database, Tx } from '../db/index.js';
import { CONNECTION_LOSS_GRACE_MS, inTransaction, isConnectionLoss } from '../jobs/boss.js';
import { errorSummary } from '../jobs/errors.js';
import { fairShare, tierOf } from '../jobs/queues.js';
import { signJob } from '../jobs/signing.js';
import type { Logger } from '../logger.js';
import { parseEnvelope } from './catalog.js';

export interface RelayOptions {
  /** The producing service (its worker runs the relay over its own schema's outbox). */
  service: string;
  db: Database;
  boss: PgBoss;
  /** The job key (signing.ts). */
  key: Buffer;
  logger: Logger;
  /** Pause after a batch that emptied the outbox. */
  intervalMs: number;
  batchSize?: number;
  /**
   * Further outboxes to relay: those of isolated tenants' own databases (lib/db/tenant-databases.ts).
   * Their rows are published in `db`'s transaction and marked in their own afterwards: at least
   * once rather than exactly once, which consumers, idempotent by event id, absorb.
   */
  sources?: () => Promise<readonly Database[]>;
}

interface OutboxRow {
  id: string;
  tenant_id: string;
  type: string;
  version: number;
  occurred_at: Date;
  actor: unknown;
  payload: unknown;
  tier: string;
}

const DEFAULT_BATCH = 100;
/** Relayed rows are kept this long (for inspection and replay), then deleted. */
const RETENTION_DAYS = 7;
const CLEANUP_EVERY_MS = 3600_000;
/** Pause after a failed batch, doubling up to the ceiling while failures repeat. */
const FAILURE_PAUSE_MS = { first: 1000, max: 30_000 };

/** The relay reads and stamps every tenant's rows: platform access, as its service. */
const relayContext = (service: string) => ({ access: 'platform', tenantId: null, principal: { id: `service:${service}-relay`, kind: 'service' } }) as const;

/** Relays one batch of `source`'s outbox (by default the service's own); answers how many rows it took. */
export async function relayOnce(options: RelayOptions, source: Database = options.db): Promise<number> {
  const { db, boss, key, service } = options;
  const context = relayContext(service);
  return source.withTenant(context, async (sourceTx) => {
    const rows = await sourceTx.query<OutboxRow>(
      `SELECT id, tenant_id, type, version, occurred_at, actor, payload, tier FROM outbox
        WHERE relayed_at IS NULL ORDER BY occurred_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [options.batchSize ?? DEFAULT_BATCH],
    );
    if (rows.length === 0) return 0;
    const publishAll = async (tx: Tx) => {
      const refused = new Map<string, string>();
      for (const row of rows) {
        const problem = await publish(tx, boss, key, row);
        if (problem !== null) {
          options.logger.error({ eventId: row.id, type: row.type, err: problem }, 'outbox row does not match the event catalogue: not relayed');
          refused.set(row.id, problem.message.slice(0, 500));
        }
      }
      return refused;
    };
    // The service's own outbox: published and marked in one transaction. Another database's: the
    // jobs commit first, then the rows are marked.
    const refused = source === db ? await publishAll(sourceTx) : await db.withTenant(context, publishAll);
    for (const [id, problem] of refused) await sourceTx.query('UPDATE outbox SET relayed_at = now(), relay_error = $2 WHERE id = $1', [id, problem]);
    const relayed = rows.map((row) => row.id).filter((id) => !refused.has(id));
    if (relayed.length > 0) await sourceTx.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::uuid[])', [relayed]);
    return rows.length;
  });
}

/** Publishes one row in the relay's transaction; answers why it cannot, or null. */
async function publish(tx: Tx, boss: PgBoss, key: Buffer, row: OutboxRow): Promise<{ message: string } | null> {
  let envelope;
  try {
    envelope = parseEnvelope({
      id: row.id,
      type: row.type,
      tenantId: row.tenant_id,
      occurredAt: row.occurred_at.toISOString(),
      actor: row.actor,
      payload: row.payload,
      version: row.version,
    });
  } catch (error) {
    return errorSummary(error);
  }
  const signed = signJob(key, { id: row.id, route: `event:${row.type}`, context: null, data: envelope });
  await boss.publish(row.type, signed, { db: inTransaction(tx), ...fairShare(row.tenant_id, tierOf({ tier: row.tier })) });
  return null;
}

/** A running relay loop. */
export interface Relay {
  /** Lets the batch in hand finish, then stops. */
  stop(): Promise<void>;
}

/** Relays until stopped: batch after batch while rows wait, then every `intervalMs`. */
export function startRelay(options: RelayOptions): Relay {
  let stopping = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const batch = options.batchSize ?? DEFAULT_BATCH;
  const loop = (async () => {
    let failures = 0;
    let cleanedAt = 0;
    while (!stopping) {
      let taken = 0;
      try {
        taken = await relayOnce(options);
        const sources = (await options.sources?.()) ?? [];
        for (const source of sources) taken += await relayOnce(options, source);
        if (Date.now() - cleanedAt > CLEANUP_EVERY_MS) {
          for (const source of [options.db, ...sources]) await deleteRelayed(options, source);
          cleanedAt = Date.now();
        }
        failures = 0;
      } catch (error) {
        // Stopping: the batch rolled back and is relayed by the next start; the server going
        // away meanwhile (Ctrl-C reaches PostgreSQL too, maybe before this process handles its
        // own signal: hence the grace) is no failure to report.
        if (isConnectionLoss(error)) await pause(CONNECTION_LOSS_GRACE_MS);
        if (stopping) break;
        failures += 1;
        // Once per failed batch, then a growing pause: an outage logs a line per pause, not per row.
        options.logger.error({ err: errorSummary(error), failures }, 'outbox relay failed; retrying');
      }
      if (stopping) break;
      if (failures > 0) await pause(Math.min(FAILURE_PAUSE_MS.first * 2 ** (failures - 1), FAILURE_PAUSE_MS.max));
      else if (taken < batch) await pause(options.intervalMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  };
}

async function deleteRelayed({ service }: RelayOptions, db: Database): Promise<void> {
  await db.withTenant(relayContext(service), (tx) => tx.query(`DELETE FROM outbox WHERE relayed_at < now() - make_interval(days => $1)`, [RETENTION_DAYS]));
}
