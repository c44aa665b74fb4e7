/**
 * Integration outcomes for observability (docs/integrations.md, *Telemetry*): every call's
 * outcome is counted in memory per tenant, connector and UTC minute — accepted, rejected,
 * retryable by reason, latency summed and in buckets — and the counts go out as one
 * `clinical-ops.integration.outcomes` event per tenant every `flushIntervalMs`, through the
 * tenant's outbox (the same transactional path as every event, so a count is published once the
 * flush commits, and redelivery changes nothing downstream).
 *
 * Counting costs a call a few map operations and never fails it: `record` is synchronous and
 * touches no I/O. A flush that cannot write (the database away) keeps its counts for the next
 * one, up to `maxEntries`; past that the oldest minutes are dropped and the loss is logged, so a
 * long outage costs telemetry, never memory or calls. A process that stops loses at most the
 * counts since its last flush (`close()` flushes what it holds).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../../lib/db/index.js';
import { INTEGRATION_LATENCY_BUCKETS_MS, RETRYABLE_REASONS, type IntegrationOutcomeCount } from '../../../lib/events/catalog.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import type { Logger } from '../../../lib/logger.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import type { ConnectorKind, ConnectorOutcome } from './contract.js';
import type { OutcomeSink } from './transport.js';

/** Entries (tenant × connector × minute) an event carries at most: the catalogue's bound. */
const MAX_COUNTS_PER_EVENT = 500;

export interface OutcomeRecorderOptions {
  /** Where the events are written: the tenant's outbox (placement-routed for isolated tenants). */
  db: Database;
  /** How often the counts are published (default 10 s). */
  flushIntervalMs?: number;
  /** Entries held at most (default 20,000); reaching a quarter of it flushes at once. */
  maxEntries?: number;
  logger?: Logger;
  /** The wall clock the minutes are read from. */
  now?: () => number;
}

const emptyCount = (connector: ConnectorKind, minute: string): IntegrationOutcomeCount => ({
  connector,
  minute,
  accepted: 0,
  rejected: 0,
  retryable: 0,
  retryableByReason: Object.fromEntries(RETRYABLE_REASONS.map((reason) => [reason, 0])) as IntegrationOutcomeCount['retryableByReason'],
  latencyMsSum: 0,
  latencyBuckets: new Array<number>(INTEGRATION_LATENCY_BUCKETS_MS.length + 1).fill(0),
});

/** The bucket of a latency: the first whose bound it does not exceed, else the last. */
export function latencyBucket(latencyMs: number): number {
  const index = INTEGRATION_LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? INTEGRATION_LATENCY_BUCKETS_MS.length : index;
}

/** Adds `from` into `into` (the same connector and minute). */
function merge(into: IntegrationOutcomeCount, from: IntegrationOutcomeCount): void {
  into.accepted += from.accepted;
  into.rejected += from.rejected;
  into.retryable += from.retryable;
  for (const reason of RETRYABLE_REASONS) into.retryableByReason[reason] += from.retryableByReason[reason];
  into.latencyMsSum += from.latencyMsSum;
  from.latencyBuckets.forEach((calls, index) => (into.latencyBuckets[index]! += calls));
}

export class OutcomeRecorder implements OutcomeSink {
  /** tenant → `connector|minute` → counts. */
  private pending = new Map<string, Map<string, IntegrationOutcomeCount>>();
  private entries = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Whether the last flush failed: its failure is logged once until one succeeds. */
  private failing = false;

  constructor(private readonly options: OutcomeRecorderOptions) {
    this.maxEntries = options.maxEntries ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** Publishes every `flushIntervalMs` from now on (the timer keeps no process alive). */
  start(): this {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 10_000).unref();
    return this;
  }

  /** Counts one call's outcome; synchronous, no I/O. */
  record(tenantId: string, connector: ConnectorKind, outcome: ConnectorOutcome<unknown>): void {
    const at = this.now();
    const minute = new Date(at - (at % 60_000)).toISOString();
    const key = `${connector}|${minute}`;
    let tenant = this.pending.get(tenantId);
    if (!tenant) this.pending.set(tenantId, (tenant = new Map<string, IntegrationOutcomeCount>()));
    let count = tenant.get(key);
    if (!count) {
      tenant.set(key, (count = emptyCount(connector, minute)));
      this.entries += 1;
    }
    count[outcome.kind] += 1;
    if (outcome.kind === 'retryable') count.retryableByReason[outcome.reason] += 1;
    const latency = Math.max(0, Math.round(outcome.latencyMs));
    count.latencyMsSum += latency;
    count.latencyBuckets[latencyBucket(latency)]! += 1;
    // Many tenants busy at once: publish early rather than hold more.
    if (this.entries >= this.maxEntries / 4 && !this.flushing) void this.flush();
  }

  /** Entries waiting to be published. */
  get pendingEntries(): number {
    return this.entries;
  }

  /** Publishes what is counted; one flush at a time (a second call waits for the running one). Never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.publishAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer and publishes what is left. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  private async publishAll(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map<string, Map<string, IntegrationOutcomeCount>>();
    this.entries = 0;
    let failures = 0;
    for (const [tenantId, counts] of batch) {
      const list = [...counts.values()];
      try {
        await this.publish(tenantId, list);
      } catch (error) {
        failures += 1;
        this.keep(tenantId, list);
        if (!this.failing) this.options.logger?.warn({ tenantId, err: { message: (error as Error).message } }, 'integration outcomes not published; kept for the next flush');
      }
    }
    this.failing = failures > 0;
  }

  private async publish(tenantId: string, counts: IntegrationOutcomeCount[]): Promise<void> {
    const context: TenantContext = {
      requestId: `integration-outcomes:${randomUUID()}`,
      correlationId: null,
      access: 'tenant',
      tenantId,
      principal: { id: 'service:clinical-ops-integrations', kind: 'service' },
      roles: [],
      scopes: [],
      entitlements: [],
    };
    await this.options.db.withTenant(context, async (tx) => {
      for (let start = 0; start < counts.length; start += MAX_COUNTS_PER_EVENT) {
        await publishEvent(tx, 'clinical-ops.integration.outcomes', context, { counts: counts.slice(start, start + MAX_COUNTS_PER_EVENT) });
      }
    });
  }

  /** Puts unpublished counts back, merged with any counted since; past maxEntries the oldest minutes go. */
  private keep(tenantId: string, counts: IntegrationOutcomeCount[]): void {
    let tenant = this.pending.get(tenantId);
    if (!tenant) this.pending.set(tenantId, (tenant = new Map<string, IntegrationOutcomeCount>()));
    let dropped = 0;
    for (const count of counts) {
      const key = `${count.connector}|${count.minute}`;
      const held = tenant.get(key);
      if (held) merge(held, count);
      else if (this.entries < this.maxEntries) {
        tenant.set(key, count);
        this.entries += 1;
      } else {
        dropped += 1;
      }
    }
    if (dropped > 0) this.options.logger?.warn({ tenantId, dropped }, 'integration outcomes dropped: too many unpublished');
  }
}
