/**
 * Child process: the load generator. It runs autocannon against one URL — first a warm-up
 * whose figures are discarded, then the measured run — with a fixed number of connections
 * for a fixed time, one request in flight per connection. A response counts as an error
 * when it is not 2xx, times out, fails to connect, or carries GraphQL `errors`. A job may
 * take turns among several callers (`variants`), and several jobs may run side by side
 * (`parallel`: the flood scenario loads two gateways at once).
 */
import autocannon from 'autocannon';
import { isRateLimitRefusal } from './answers.js';
import { serveChild } from './serve.js';

/** One caller's request: the headers and body it sends. */
export interface LoadVariant {
  headers: Record<string, string>;
  body: string;
}

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Callers that take turns, request by request across all connections (each request goes out
   * with the next one's headers and body, on top of `headers`); none: every request is `body`
   * with `headers`.
   */
  variants?: LoadVariant[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Measure this many requests instead of `durationSeconds`. */
  amount?: number;
  /** At most this many requests per second over all connections; none: as fast as the answers come. */
  rate?: number;
}

export interface LoadFigures {
  requestsPerSecond: number;
  requests: number;
  latencyMs: { p50: number; p99: number; mean: number };
  errors: number;
  /** Answers 429 RATE_LIMITED (counted in `errors` too). */
  rateLimited: number;
}

/** Progress reported to the parent, so it measures the gateway during the measured run only. */
export type LoadEvent = { phase: 'measure' };

const noErrors = (body: string) => !body.includes('"errors"');

/** Several jobs at once, on one schedule: their warm-ups together, then their measured runs together. */
export interface ParallelLoadJob {
  parallel: LoadJob[];
}

serveChild<{ pid: number }>(async () => ({
  ready: { pid: process.pid },
  close: async () => undefined,
  async job(payload, emit) {
    const parallel = 'parallel' in (payload as object) ? (payload as ParallelLoadJob).parallel : undefined;
    const runs = (parallel ?? [payload as LoadJob]).map(prepare);
    await Promise.all(runs.filter((run) => run.job.warmupSeconds > 0).map((run) => autocannon({ ...run.options, duration: run.job.warmupSeconds })));
    for (const run of runs) run.rateLimited = 0;
    emit({ phase: 'measure' } satisfies LoadEvent);
    const figures = await Promise.all(
      runs.map(async (run): Promise<LoadFigures> => {
        const { job, options } = run;
        const result = await autocannon(job.amount ? { ...options, amount: job.amount } : { ...options, duration: job.durationSeconds });
        return {
          requestsPerSecond: result.requests.total / result.duration,
          requests: result.requests.total,
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
          // A GraphQL server's non-2xx body carries `errors` too: the two counts overlap.
          errors: result.errors + Math.max(result.non2xx, result.mismatches),
          rateLimited: run.rateLimited,
        };
      }),
    );
    return parallel ? figures : figures[0];
  },
}));

interface PreparedRun {
  job: LoadJob;
  options: Parameters<typeof autocannon>[0];
  /** Answers 429 RATE_LIMITED so far (reset between the warm-up and the measured run). */
  rateLimited: number;
}

/** A job's autocannon options, with its count of rate-limit refusals. */
function prepare(job: LoadJob): PreparedRun {
  const variants = job.variants?.length ? job.variants : undefined;
  let turn = 0;
  const request: {
    onResponse(status: number, body: string): void;
    setupRequest?(req: { headers: Record<string, string>; body?: string }): { headers: Record<string, string>; body?: string };
  } = {
    onResponse: (status, body) => {
      if (isRateLimitRefusal(status, body)) run.rateLimited++;
    },
  };
  if (variants) {
    request.setupRequest = (req) => {
      const variant = variants[turn++ % variants.length]!;
      return { ...req, headers: { ...req.headers, ...variant.headers }, body: variant.body };
    };
  }
  const run: PreparedRun = {
    job,
    rateLimited: 0,
    options: {
      url: job.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...job.headers },
      body: job.body,
      requests: [request],
      connections: job.connections,
      pipelining: 1,
      timeout: 10,
      verifyBody: noErrors,
      ...(job.rate ? { overallRate: job.rate } : {}),
    },
  };
  return run;
}
