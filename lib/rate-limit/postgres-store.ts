/**
 * Rate-limit counters in PostgreSQL, shared by every gateway replica: one UNLOGGED table
 * (gateway/migrations/), two rows per active bucket, written by the `caregraph_gateway`
 * role, which may touch nothing else.
 *
 * Every hit is one upsert, and concurrent hits are folded: calls made while a statement is
 * in flight wait and go together in the next one, so under load the number of statements
 * stays near one per round trip rather than one per request. Each caller still gets counts
 * exact to its own position in the batch. The window is taken from the database's clock, so
 * replicas with skewed clocks agree on which window they count in.
 */
import pg from 'pg';
import type { WindowCounts } from './sliding-window.js';
import type { CounterStore } from './store.js';

interface PendingHit {
  hits: ReadonlyMap<string, number>;
  resolve: (counts: Map<string, WindowCounts>) => void;
  reject: (error: unknown) => void;
}

/** One upsert per batch: adds each bucket's hits in the current window, returns both windows' counts. */
const HIT_SQL = `
  WITH clock AS (
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms
  ), win AS (
    SELECT ms / $3::bigint AS idx, ms % $3::bigint AS elapsed FROM clock
  ), added AS (
    INSERT INTO gateway.rate_limit_counters AS c (bucket, window_index, hits)
    SELECT i.bucket, win.idx, i.hits
      FROM unnest($1::text[], $2::int[]) AS i (bucket, hits) CROSS JOIN win
     -- One order for every replica: two batches locking the same rows cannot deadlock.
     ORDER BY i.bucket
    ON CONFLICT (bucket, window_index) DO UPDATE SET hits = c.hits + excluded.hits
    RETURNING c.bucket, c.hits
  )
  SELECT added.bucket, added.hits AS current, coalesce(p.hits, 0) AS previous, win.elapsed, win.idx
    FROM added CROSS JOIN win
    LEFT JOIN gateway.rate_limit_counters p ON p.bucket = added.bucket AND p.window_index = win.idx - 1`;

/** One hit off each bucket of one window, never below zero; rows locked in bucket order, as HIT_SQL locks them. */
const TAKE_BACK_SQL = `
  WITH locked AS (
    SELECT bucket FROM gateway.rate_limit_counters
     WHERE bucket = ANY ($1::text[]) AND window_index = $2::bigint
     ORDER BY bucket FOR UPDATE
  )
  UPDATE gateway.rate_limit_counters c SET hits = greatest(c.hits - 1, 0)
    FROM locked WHERE c.bucket = locked.bucket AND c.window_index = $2::bigint`;

const PRUNE_SQL = `
  DELETE FROM gateway.rate_limit_counters
   WHERE window_index < (extract(epoch FROM clock_timestamp()) * 1000)::bigint / $1::bigint - 1`;

export interface PostgresStoreOptions {
  /** Connection string of the gateway role. */
  url: string;
  windowMs: number;
  /** A statement (or a connection attempt) not answered within this is a store failure. */
  timeoutMs?: number;
}

export class PostgresCounterStore implements CounterStore {
  readonly windowMs: number;
  private readonly pool: pg.Pool;
  private pending: PendingHit[] = [];
  private flushing = false;
  private pruneAt = 0;

  constructor(options: PostgresStoreOptions) {
    this.windowMs = options.windowMs;
    const timeoutMs = options.timeoutMs ?? 1_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      // Batches go one at a time; a second connection serves the prune beside them.
      max: 2,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      application_name: 'caregraph-gateway-rate-limits',
    });
    // A connection the server ends (a restart) must not end the gateway: the next statement
    // fails, and the limiter fails open.
    this.pool.on('error', () => undefined);
  }

  hit(hits: ReadonlyMap<string, number>): Promise<Map<string, WindowCounts>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ hits, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const totals = new Map<string, number>();
      for (const call of batch) for (const [bucket, n] of call.hits) totals.set(bucket, (totals.get(bucket) ?? 0) + n);
      try {
        const { rows } = await this.pool.query<{ bucket: string; current: number; previous: number; elapsed: string; idx: string }>(HIT_SQL, [
          [...totals.keys()],
          [...totals.values()],
          this.windowMs,
        ]);
        const after = new Map(rows.map((row) => [row.bucket, row]));
        // Hand out the batch's counts in call order: the first call sees the count before the later ones.
        const seen = new Map<string, number>();
        for (const call of batch) {
          const counts = new Map<string, WindowCounts>();
          for (const [bucket, n] of call.hits) {
            const row = after.get(bucket)!;
            const before = (seen.get(bucket) ?? 0) + n;
            seen.set(bucket, before);
            counts.set(bucket, {
              current: row.current - totals.get(bucket)! + before,
              previous: row.previous,
              elapsedMs: Number(row.elapsed),
              window: Number(row.idx),
            });
          }
          call.resolve(counts);
        }
        this.maybePrune();
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    this.flushing = false;
  }

  async takeBack(buckets: readonly string[], window: number): Promise<void> {
    await this.pool.query(TAKE_BACK_SQL, [buckets, window]);
  }

  /** Windows older than the previous one are dead weight: dropped once per window, by whichever replica gets there. */
  private maybePrune(): void {
    const now = Date.now();
    if (now < this.pruneAt) return;
    this.pruneAt = now + this.windowMs;
    this.pool.query(PRUNE_SQL, [this.windowMs]).catch(() => {
      // Tried again with a later batch; the old rows only take space meanwhile.
      this.pruneAt = Date.now() + 1_000;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
