/**
 * Child process: the load generator. It runs autocannon against one URL — first a warm-up
 * whose figures are discarded, then the measured run — with a fixed number of connections
 * for a fixed time, one request in flight per connection. A response counts as an error
 * when it is not 2xx, times out, fails to connect, or carries GraphQL `errors`.
 */
import autocannon from 'autocannon';
import { serveChild } from './serve.js';

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Measure this many requests instead of `durationSeconds`. */
  amount?: number;
}

export interface LoadFigures {
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p99: number; mean: number };
  errors: number;
}

/** Progress reported to the parent, so it measures the gateway during the measured run only. */
export type LoadEvent = { phase: 'measure' };

const noErrors = (body: string) => !body.includes('"errors"');

serveChild<{ pid: number }>(async () => ({
  ready: { pid: process.pid },
  close: async () => undefined,
  async job(payload, emit) {
    const job = payload as LoadJob;
    const options = {
      url: job.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...job.headers },
      body: job.body,
      connections: job.connections,
      pipelining: 1,
      timeout: 10,
      verifyBody: noErrors,
    };
    if (job.warmupSeconds > 0) await autocannon({ ...options, duration: job.warmupSeconds });
    emit({ phase: 'measure' } satisfies LoadEvent);
    const result = await autocannon(job.amount ? { ...options, amount: job.amount } : { ...options, duration: job.durationSeconds });
    const figures: LoadFigures = {
      requestsPerSecond: result.requests.total / result.duration,
      requests: result.requests.total,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
      // A GraphQL server's non-2xx body carries `errors` too: the two counts overlap.
      errors: result.errors + Math.max(result.non2xx, result.mismatches),
    };
    return figures;
  },
}));
